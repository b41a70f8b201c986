"""SQL for the e-mail outbox."""

from __future__ import annotations

from dataclasses import dataclass

from server.sql import Conn, many

_ROW = "id, event_key, to_address, subject, body, attempts"


@dataclass(frozen=True, slots=True)
class Outgoing:
    """An e-mail of the outbox, claimed for sending."""

    id: int
    event_key: str
    to_address: str
    subject: str
    body: str
    attempts: int


async def enqueue(conn: Conn, event_key: str, to_address: str, subject: str, body: str) -> bool:
    """Queue an e-mail for an event, once; False if that event already has one."""
    inserted = await conn.fetchval(
        """INSERT INTO outbox (event_key, to_address, subject, body) VALUES ($1, $2, $3, $4)
           ON CONFLICT (event_key) DO NOTHING RETURNING id""",
        event_key, to_address, subject, body,
    )
    return inserted is not None


async def claim_due(conn: Conn, limit: int, hold_s: int) -> list[Outgoing]:
    """Take up to `limit` due e-mails for this process for hold_s seconds (others skip them)."""
    rows = await conn.fetch(
        f"""UPDATE outbox SET claimed_until = now() + make_interval(secs => $2), attempts = attempts + 1
            WHERE id IN (SELECT id FROM outbox
                         WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= now()
                           AND (claimed_until IS NULL OR claimed_until < now())
                         ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)
            RETURNING {_ROW}""",
        limit, hold_s,
    )
    return many(Outgoing, rows)


async def mark_sent(conn: Conn, outbox_id: int) -> None:
    await conn.execute("UPDATE outbox SET sent_at = now(), claimed_until = NULL WHERE id = $1", outbox_id)


async def mark_failed_attempt(conn: Conn, outbox_id: int, error: str, retry_in_s: float | None) -> None:
    """Record a failed attempt: retry after retry_in_s, or give up when it is None."""
    await conn.execute(
        """UPDATE outbox SET last_error = $2, claimed_until = NULL,
                  next_attempt_at = CASE WHEN $3::float8 IS NULL THEN next_attempt_at
                                         ELSE now() + make_interval(secs => $3::float8) END,
                  failed_at = CASE WHEN $3::float8 IS NULL THEN now() ELSE NULL END
           WHERE id = $1""",
        outbox_id, error[:1000], retry_in_s,
    )

