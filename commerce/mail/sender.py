"""Sending the outbox: claimed rows, SMTP or a folder, retries with backoff, one e-mail per event."""

from __future__ import annotations

import asyncio
import logging
import re
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from typing import Protocol

import aiosmtplib
import asyncpg
from aiohttp import web

from commerce.mail import store
from commerce.mail.store import Outgoing
from server.background import periodic
from server.config import Config, MailConfig
from server.keys import CONFIG, DB

log = logging.getLogger(__name__)
CLAIM_HOLD_S = 120  # longer than one SMTP exchange may take; past it another process may retry
BATCH = 20


class Mailer(Protocol):
    async def send(self, message: EmailMessage) -> None: ...


class SmtpMailer:
    """Sends through the configured SMTP server."""

    def __init__(self, config: MailConfig) -> None:
        self._config = config

    async def send(self, message: EmailMessage) -> None:
        c = self._config
        await aiosmtplib.send(
            message, hostname=c.smtp_host, port=c.smtp_port, start_tls=c.smtp_starttls,
            username=c.smtp_username or None, password=c.smtp_password or None, timeout=30,
        )


class FolderMailer:
    """Development without SMTP: each e-mail becomes an .eml file to open in any mail program."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def send(self, message: EmailMessage) -> None:
        name = re.sub(r"[^A-Za-z0-9_.-]", "_", str(message["Message-ID"]).strip("<>")) + ".eml"

        def write() -> None:
            self.folder.mkdir(parents=True, exist_ok=True)
            (self.folder / name).write_bytes(bytes(message))

        await asyncio.to_thread(write)


def mailer_for(config: Config) -> Mailer:
    if config.mail.smtp_host:
        return SmtpMailer(config.mail)
    return FolderMailer(config.server.var_path / "mail")


def build_message(row: Outgoing, from_address: str) -> EmailMessage:
    """The e-mail of an outbox row. Its Message-ID comes from the event, so a copy resent after a
    crash carries the same id and mail systems can drop the duplicate."""
    domain = from_address.rpartition("@")[2] or "localhost"
    message = EmailMessage()
    message["From"] = from_address
    message["To"] = row.to_address
    message["Subject"] = row.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = f"<{re.sub(r'[^A-Za-z0-9.-]', '.', row.event_key)}@{domain}>"
    message.set_content(row.body)
    return message


def backoff_s(attempts: int) -> float:
    """Seconds before the next try: 10 s, 20 s, 40 s ... at most an hour."""
    return float(min(3600, 10 * 2 ** (attempts - 1)))


async def send_due(pool: asyncpg.Pool, mailer: Mailer, config: Config) -> int:
    """Send what is due now; returns how many were sent. Safe to run in every process at once."""
    sent = 0
    for row in await store.claim_due(pool, BATCH, CLAIM_HOLD_S):
        try:
            await mailer.send(build_message(row, config.mail.from_address))
        except (TimeoutError, aiosmtplib.SMTPException, OSError) as exc:
            last = row.attempts >= config.mail.max_attempts
            await store.mark_failed_attempt(pool, row.id, repr(exc), None if last else backoff_s(row.attempts))
            log.warning("e-mail %s failed (attempt %d)%s: %r", row.event_key, row.attempts,
                        ", giving up" if last else "", exc)
            continue
        await store.mark_sent(pool, row.id)
        sent += 1
    return sent


async def mail_step(app: web.Application) -> bool:
    """Send what is due; True (go on at once) when a whole batch went, so a busy outbox drains."""
    return await send_due(app[DB], mailer_for(app[CONFIG]), app[CONFIG]) == BATCH


mail_ctx = periodic("outbox", lambda app: app[CONFIG].mail.poll_interval_s, mail_step)
