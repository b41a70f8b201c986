"""Password hashing with scrypt (salted, memory-hard), run off the event loop."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import secrets

_R, _P, _LEN = 8, 1, 32
# A hash that no password matches, verified when the user is unknown so that a login
# takes as long for a missing account as for a wrong password.
_DUMMY_SALT = b"\x00" * 16


def hash_password(password: str, n: int) -> str:
    """Return 'scrypt$n$r$p$salt$hash' for the password; the parameters travel with the hash."""
    salt = secrets.token_bytes(16)
    digest = _scrypt(password, salt, n, _R, _P)
    return "$".join(["scrypt", str(n), str(_R), str(_P), _b64(salt), _b64(digest)])


def verify_password(password: str, encoded: str | None, n: int) -> bool:
    """True if the password matches the stored hash; a None hash still costs one derivation."""
    if encoded is None:
        _scrypt(password, _DUMMY_SALT, n, _R, _P)
        return False
    try:
        scheme, n_s, r_s, p_s, salt_s, digest_s = encoded.split("$")
        if scheme != "scrypt":
            return False
        salt, expected = _unb64(salt_s), _unb64(digest_s)
        actual = _scrypt(password, salt, int(n_s), int(r_s), int(p_s))
    except ValueError:
        return False
    return hmac.compare_digest(actual, expected)


async def hash_password_async(password: str, n: int) -> str:
    """hash_password in a worker thread: a derivation takes tens of milliseconds."""
    return await asyncio.to_thread(hash_password, password, n)


async def verify_password_async(password: str, encoded: str | None, n: int) -> bool:
    """verify_password in a worker thread."""
    return await asyncio.to_thread(verify_password, password, encoded, n)


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, dklen=_LEN, maxmem=256 * n * r + 2**20)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
