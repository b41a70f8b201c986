"""JWT access and refresh tokens: issuing and checking, with no I/O."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import jwt

from server.errors import NotAuthenticated

TokenType = Literal["access", "refresh"]
ISSUER = "livestream-commerce"
_ALGORITHM = "HS256"
CHECKED_TOKENS = 10_000  # access tokens kept checked per process (about 300 bytes each)


@dataclass(frozen=True)
class Principal:
    """Who is calling, as the access token says."""

    user_id: int
    role: str
    # Set for a token's principal: when it was issued, and the sign-in (refresh token family) it belongs to;
    # what revocation checks. None for a console session (ended with its session).
    issued_at: int | None = None
    family: str | None = None


@dataclass(frozen=True)
class RefreshClaims:
    user_id: int
    jti: uuid.UUID
    family: uuid.UUID


@dataclass(frozen=True)
class IssuedRefresh:
    token: str
    jti: uuid.UUID
    family: uuid.UUID
    expires_at: datetime


class TokenCodec:
    """Signs and checks tokens with one HMAC secret; lifetimes come from config."""

    def __init__(self, secret: str, access_ttl_s: int, refresh_ttl_s: int) -> None:
        self._secret = secret
        self._access_ttl = timedelta(seconds=access_ttl_s)
        self._refresh_ttl = timedelta(seconds=refresh_ttl_s)
        # Access tokens already checked, with their expiry: the same bytes need no second HMAC and parse
        # (36 µs of every signed-in request). Revocation is not kept here; callers check it per request.
        self._checked: dict[str, tuple[Principal, float]] = {}

    def issue_access(self, user_id: int, role: str, now: datetime | None = None,
                     family: uuid.UUID | None = None) -> str:
        """An access token for the user, valid for the configured lifetime; `family` names the sign-in it
        belongs to (its refresh token's family), so a logout can end it."""
        now = now or datetime.now(UTC)
        claims = {"sub": str(user_id), "role": role, "typ": "access", "jti": uuid.uuid4().hex}
        if family is not None:
            claims["fam"] = str(family)
        return self._encode(claims, now, self._access_ttl)

    def issue_refresh(
        self, user_id: int, family: uuid.UUID | None = None, now: datetime | None = None
    ) -> IssuedRefresh:
        """A refresh token in the given rotation family (a new family at login)."""
        now = now or datetime.now(UTC)
        jti, family = uuid.uuid4(), family or uuid.uuid4()
        claims = {"sub": str(user_id), "typ": "refresh", "jti": str(jti), "fam": str(family)}
        token = self._encode(claims, now, self._refresh_ttl)
        return IssuedRefresh(token, jti, family, now + self._refresh_ttl)

    def read_access(self, token: str) -> Principal:
        """The principal of a valid access token; NotAuthenticated otherwise."""
        checked = self._checked.get(token)
        if checked is not None and time.time() < checked[1]:
            return checked[0]
        principal, expires = self._read_access(token)
        if len(self._checked) >= CHECKED_TOKENS:
            self._checked.clear()  # simpler than an LRU, and refilled at the pace of requests
        self._checked[token] = (principal, expires)
        return principal

    def _read_access(self, token: str) -> tuple[Principal, float]:
        claims = self._decode(token, "access")
        role = claims.get("role")
        if role not in {"buyer", "seller", "admin"}:
            raise NotAuthenticated("The access token carries no valid role.", code="invalid_token")
        family = claims.get("fam")
        return Principal(user_id=_user_id(claims), role=role, issued_at=int(claims["iat"]),
                         family=family if isinstance(family, str) else None), float(claims["exp"])

    def read_refresh(self, token: str) -> RefreshClaims:
        """The claims of a well-signed, unexpired refresh token; whether it is still usable is the store's call."""
        claims = self._decode(token, "refresh")
        try:
            return RefreshClaims(_user_id(claims), uuid.UUID(claims["jti"]), uuid.UUID(claims["fam"]))
        except (KeyError, ValueError, TypeError):
            raise NotAuthenticated("The refresh token is malformed.", code="invalid_token") from None

    def _encode(self, claims: dict[str, Any], now: datetime, ttl: timedelta) -> str:
        payload = {**claims, "iss": ISSUER, "iat": int(now.timestamp()), "exp": int((now + ttl).timestamp())}
        return jwt.encode(payload, self._secret, algorithm=_ALGORITHM)

    def _decode(self, token: str, kind: TokenType) -> dict[str, Any]:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._secret,
                algorithms=[_ALGORITHM],
                issuer=ISSUER,
                options={"require": ["exp", "iat", "sub", "typ", "jti"]},
            )
        except jwt.ExpiredSignatureError:
            raise NotAuthenticated(f"The {kind} token has expired.", code="token_expired") from None
        except jwt.PyJWTError:
            raise NotAuthenticated(f"The {kind} token is not valid.", code="invalid_token") from None
        if claims.get("typ") != kind:
            raise NotAuthenticated(f"This is not an {kind} token." if kind == "access" else
                                   f"This is not a {kind} token.", code="invalid_token")
        return claims


def _user_id(claims: dict[str, Any]) -> int:
    try:
        return int(claims["sub"])
    except (KeyError, ValueError, TypeError):
        raise NotAuthenticated("The token names no valid user.", code="invalid_token") from None
