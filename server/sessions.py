"""Browser sign-in for the console: a signed cookie naming a session kept in Redis, with its CSRF token."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

import redis.asyncio as aioredis
from aiohttp import web

from server.config import Config
from server.tokens import Principal

COOKIE = "lsc_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
_FLASH_TTL_S = 120


@dataclass(frozen=True)
class Session:
    """One signed-in browser: who it is, and the token its forms and scripts must echo."""

    id: str
    user_id: int
    role: str
    csrf: str

    @property
    def principal(self) -> Principal:
        return Principal(user_id=self.user_id, role=self.role)

    def csrf_ok(self, presented: str | None) -> bool:
        """Whether a form field or header carries this session's CSRF token (constant-time)."""
        if not presented:
            return False
        return hmac.compare_digest(presented.encode(), self.csrf.encode())


class Sessions:
    """Create, read and end sessions. The id is random; the cookie adds an HMAC of it, so a forged or
    altered cookie is refused before Redis is asked. Redis holds the truth, so signing out (or a
    deactivated account) ends a session everywhere at once."""

    def __init__(self, redis: aioredis.Redis, config: Config) -> None:
        self.redis = redis
        self.ttl = config.console.session_ttl_s
        self.secure = config.mode == "production"
        # A key of its own, derived from the JWT secret: a cookie signature is never a valid token signature.
        self._key = hashlib.sha256(b"console-session\x00" + config.auth.jwt_secret.encode()).digest()

    def _sign(self, session_id: str) -> str:
        mac = hmac.new(self._key, session_id.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()

    def cookie_value(self, session_id: str) -> str:
        return f"{session_id}.{self._sign(session_id)}"

    def session_id(self, cookie: str | None) -> str | None:
        """The session id of a well-signed cookie value, else None."""
        if not cookie or len(cookie) > 200:
            return None
        session_id, _, signature = cookie.partition(".")
        if not session_id or not hmac.compare_digest(signature.encode(), self._sign(session_id).encode()):
            return None
        return session_id

    async def create(self, user_id: int, role: str) -> tuple[str, Session]:
        """A new session for a signed-in user: (the cookie value, the session)."""
        session = Session(secrets.token_urlsafe(24), user_id, role, secrets.token_urlsafe(24))
        # The user's index first: a failure between the two leaves an id that names nothing, never a session
        # that end_all cannot find. Two transactions, each within one Redis Cluster slot.
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.sadd(_index_key(user_id), session.id)
            pipe.expire(_index_key(user_id), self.ttl)
            await pipe.execute()
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(_session_key(session.id), mapping={"user_id": user_id, "role": role, "csrf": session.csrf})
            pipe.expire(_session_key(session.id), self.ttl)
            await pipe.execute()
        return self.cookie_value(session.id), session

    async def load(self, request: web.Request) -> Session | None:
        """The request's session from its cookie, renewed for another session_ttl_s; None if there is none."""
        session_id = self.session_id(request.cookies.get(COOKIE))
        if session_id is None:
            return None
        key = _session_key(session_id)
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hgetall(key)
            pipe.expire(key, self.ttl, xx=True)
            data, _ = await pipe.execute()
        if not data:
            return None
        values = {k.decode() if isinstance(k, bytes) else k: v.decode() if isinstance(v, bytes) else v
                  for k, v in data.items()}
        return Session(session_id, int(values["user_id"]), values["role"], values["csrf"])

    async def end(self, session: Session) -> None:
        """Sign this browser out."""
        await self.redis.delete(_session_key(session.id), _flash_key(session.id))
        await self.redis.srem(_index_key(session.user_id), session.id)

    async def end_all(self, user_id: int) -> None:
        """Sign a user out of every browser (a deactivated account)."""
        ids = [i.decode() if isinstance(i, bytes) else i for i in await self.redis.smembers(_index_key(user_id))]
        # On a cluster, redis-py deletes keys of several slots slot by slot.
        await self.redis.delete(*[_session_key(i) for i in ids], *[_flash_key(i) for i in ids], _index_key(user_id))

    def set_cookie(self, response: web.StreamResponse, value: str) -> None:
        # Path=/ so that the console's scripts reach /api/ and /ws/ with it; HttpOnly keeps it from scripts.
        response.set_cookie(COOKIE, value, max_age=self.ttl, path="/", httponly=True, samesite="Lax",
                            secure=self.secure)

    def clear_cookie(self, response: web.StreamResponse) -> None:
        response.del_cookie(COOKIE, path="/")

    async def flash(self, session: Session, kind: str, text: str) -> None:
        """A message for the next page this browser sees (after a redirect)."""
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.rpush(_flash_key(session.id), f"{kind}\x00{text}")
            pipe.expire(_flash_key(session.id), _FLASH_TTL_S)
            await pipe.execute()

    async def take_flash(self, session: Session) -> list[tuple[str, str]]:
        """The messages waiting for this browser, once."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.lrange(_flash_key(session.id), 0, -1)
            pipe.delete(_flash_key(session.id))
            raw, _ = await pipe.execute()
        out = []
        for item in raw:
            kind, _, text = (item.decode() if isinstance(item, bytes) else item).partition("\x00")
            out.append((kind, text))
        return out


# A session's keys share its id as their hash tag; the user's index of sessions is keyed by the user.
def _session_key(session_id: str) -> str:
    return f"session:{{{session_id}}}"


def _flash_key(session_id: str) -> str:
    return f"session:{{{session_id}}}:flash"


def _index_key(user_id: int) -> str:
    return f"sessions:{{{user_id}}}"
