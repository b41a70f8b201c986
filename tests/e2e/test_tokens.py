"""Tokens: signing, tampering, expiry, rotation, reuse detection and logout."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import jwt
import pytest

from server.config import Config
from server.errors import NotAuthenticated
from server.keys import REDIS, REVOCATIONS
from server.passwords import hash_password, verify_password
from server.tokens import TokenCodec
from tests.e2e.test_rooms import Socket, connect, live_show
from tests.helpers import Api
from tests.processes import ServerProcess, start_server

SECRET = "a-test-secret-that-is-long-enough-0123456789"


def codec() -> TokenCodec:
    return TokenCodec(SECRET, access_ttl_s=900, refresh_ttl_s=7 * 86400)


def _tamper_payload(token: str, **changes: object) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(changes)
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def test_access_token_round_trip() -> None:
    principal = codec().read_access(codec().issue_access(42, "seller"))
    assert (principal.user_id, principal.role) == (42, "seller")


@pytest.mark.parametrize(
    "make_token",
    [
        pytest.param(lambda t: _tamper_payload(t, role="admin"), id="role-raised"),
        pytest.param(lambda t: _tamper_payload(t, sub="1"), id="other-user"),
        pytest.param(lambda t: t[:-3] + ("AAA" if not t.endswith("AAA") else "BBB"), id="signature-changed"),
        pytest.param(lambda t: jwt.encode(jwt.decode(t, options={"verify_signature": False}), key=None,
                                          algorithm="none"), id="alg-none"),
        pytest.param(lambda t: jwt.encode(jwt.decode(t, options={"verify_signature": False}),
                                          "another-secret-which-is-also-long-enough", algorithm="HS256"),
                     id="other-secret"),
        pytest.param(lambda t: "not.a.token", id="garbage"),
    ],
)
def test_tampered_access_tokens_are_refused(make_token: object) -> None:
    token = codec().issue_access(7, "buyer")
    with pytest.raises(NotAuthenticated) as info:
        codec().read_access(make_token(token))  # type: ignore[operator]
    assert info.value.code == "invalid_token"


def test_expired_access_token_is_refused_with_its_own_code() -> None:
    token = codec().issue_access(7, "buyer", now=datetime.now(UTC) - timedelta(minutes=16))
    with pytest.raises(NotAuthenticated) as info:
        codec().read_access(token)
    assert info.value.code == "token_expired"


def test_a_checked_access_token_is_kept_only_until_it_expires() -> None:
    tokens = codec()
    token = tokens.issue_access(7, "buyer", now=datetime.now(UTC) - timedelta(seconds=899))  # a second left
    assert tokens.read_access(token) is tokens.read_access(token)  # checked once, then kept
    deadline = time.monotonic() + 5
    while True:  # refused once its time is up, kept or not (bounded: the token's own second, and some)
        try:
            tokens.read_access(token)
        except NotAuthenticated as exc:
            assert exc.code == "token_expired"
            break
        assert time.monotonic() < deadline, "a kept token outlived its expiry"
        time.sleep(0.05)


def test_access_and_refresh_tokens_are_not_interchangeable() -> None:
    tokens = codec()
    with pytest.raises(NotAuthenticated):
        tokens.read_access(tokens.issue_refresh(7).token)
    with pytest.raises(NotAuthenticated):
        tokens.read_refresh(tokens.issue_access(7, "buyer"))


def test_password_hash_is_salted_and_verifies() -> None:
    a, b = hash_password("hunter22", 1024), hash_password("hunter22", 1024)
    assert a != b and a.startswith("scrypt$1024$")
    assert verify_password("hunter22", a, 1024) and not verify_password("hunter23", a, 1024)
    assert not verify_password("hunter22", None, 1024)
    assert not verify_password("hunter22", "md5$abc", 1024)


async def test_tampered_and_expired_tokens_over_http(api: Api, config: Config) -> None:
    user = await api.register("neha")
    forged = _tamper_payload(user.access, role="admin")
    reply = await api.get("/api/auth/profile/", token=forged)
    assert reply.status == 401 and reply.error_code() == "invalid_token"
    assert reply.headers["WWW-Authenticate"].startswith("Bearer")
    tokens = TokenCodec(config.auth.jwt_secret, config.auth.access_ttl_s, config.auth.refresh_ttl_s)
    old = tokens.issue_access(user.id, "buyer", now=datetime.now(UTC) - timedelta(seconds=config.auth.access_ttl_s + 5))
    expired = await api.get("/api/auth/profile/", token=old)
    assert expired.status == 401 and expired.error_code() == "token_expired"
    refresh_as_access = await api.get("/api/auth/profile/", token=user.refresh)
    assert refresh_as_access.status == 401 and refresh_as_access.error_code() == "invalid_token"


@pytest.mark.parametrize("header", ["Token abc", "Bearer", "Bearer    ", "Basic dXNlcjpwYXNz"])
async def test_malformed_authorization_header(api: Api, header: str) -> None:
    reply = await api.get("/api/auth/profile/", headers={"Authorization": header})
    assert reply.status == 401 and reply.error_code() == "invalid_token"


async def test_refresh_rotates_and_the_old_token_stops_working(api: Api) -> None:
    user = await api.register("dev")
    first = await api.post("/api/auth/refresh/", {"refresh": user.refresh})
    assert first.status == 200 and set(first.body) == {"access", "refresh"}
    assert first.body["refresh"] != user.refresh
    assert (await api.get("/api/auth/profile/", token=first.body["access"])).status == 200
    second = await api.post("/api/auth/refresh/", {"refresh": first.body["refresh"]})
    assert second.status == 200


async def test_reusing_a_rotated_refresh_token_revokes_the_whole_sign_in(api: Api) -> None:
    user = await api.register("dev")
    rotated = await api.post("/api/auth/refresh/", {"refresh": user.refresh})
    replay = await api.post("/api/auth/refresh/", {"refresh": user.refresh})
    assert replay.status == 401 and replay.error_code() == "token_reused"
    # The thief's replay also ends the legitimate holder's newer token of the same sign-in.
    after = await api.post("/api/auth/refresh/", {"refresh": rotated.body["refresh"]})
    assert after.status == 401 and after.error_code() == "invalid_token"
    # Other sign-ins of the same account are untouched.
    other = await api.login("dev", user.password)
    assert (await api.post("/api/auth/refresh/", {"refresh": other.refresh})).status == 200


async def test_concurrent_refreshes_with_one_token_issue_at_most_one_pair(api: Api) -> None:
    user = await api.register("dev")
    replies = await asyncio.gather(*(api.post("/api/auth/refresh/", {"refresh": user.refresh}) for _ in range(10)))
    assert sum(r.status == 200 for r in replies) <= 1
    assert all(r.status in (200, 401) for r in replies)


async def test_logout_ends_that_sign_in_only(api: Api) -> None:
    user = await api.register("dev")
    phone = await api.login("dev", user.password)
    out = await api.post("/api/auth/logout/", {"refresh": user.refresh}, token=user.access)
    assert out.status == 204 and out.body is None
    refused = await api.post("/api/auth/refresh/", {"refresh": user.refresh})
    assert refused.status == 401 and refused.error_code() == "invalid_token"
    assert (await api.post("/api/auth/refresh/", {"refresh": phone.refresh})).status == 200


async def test_logout_needs_sign_in_and_ones_own_token(api: Api) -> None:
    a = await api.register("alpha")
    b = await api.register("bravo")
    assert (await api.post("/api/auth/logout/", {"refresh": a.refresh})).status == 401
    other = await api.post("/api/auth/logout/", {"refresh": a.refresh}, token=b.access)
    assert other.status == 403 and other.error_code() == "permission_denied"
    assert (await api.post("/api/auth/refresh/", {"refresh": a.refresh})).status == 200


async def test_refresh_with_garbage_or_expired_token(api: Api, config: Config) -> None:
    garbage = await api.post("/api/auth/refresh/", {"refresh": "garbage"})
    assert garbage.status == 401 and garbage.error_code() == "invalid_token"
    user = await api.register("dev")
    tokens = TokenCodec(config.auth.jwt_secret, config.auth.access_ttl_s, config.auth.refresh_ttl_s)
    stale = tokens.issue_refresh(user.id, now=datetime.now(UTC) - timedelta(days=8)).token
    expired = await api.post("/api/auth/refresh/", {"refresh": stale})
    assert expired.status == 401 and expired.error_code() == "token_expired"
    unknown = tokens.issue_refresh(user.id).token  # well signed but never issued by the server
    assert (await api.post("/api/auth/refresh/", {"refresh": unknown})).error_code() == "invalid_token"


async def test_expired_refresh_tokens_are_purged_and_live_ones_kept(api: Api, app, db) -> None:
    from server.accounts.store import purge_refresh
    from server.keys import DB

    old = await api.register("old")
    fresh = await api.register("fresh")
    await db.execute("UPDATE refresh_tokens SET expires_at = now() - interval '1 second' WHERE user_id = $1", old.id)
    assert await purge_refresh(app[DB]) == 1
    assert await db.fetchval("SELECT count(*) FROM refresh_tokens WHERE user_id = $1", old.id) == 0
    assert (await api.post("/api/auth/refresh/", {"refresh": fresh.refresh})).status == 200


async def closed_with(socket: Any) -> int | None:
    """Read until the server closes the socket; its close code."""
    async def wait() -> int | None:
        while True:
            message = await socket.ws.receive()
            if message.type == aiohttp.WSMsgType.CLOSE:
                return int(message.data)
            if message.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING):
                return socket.ws.close_code
    return await asyncio.wait_for(wait(), 5.0)


async def test_deactivation_ends_access_at_once_and_closes_sockets_on_every_process(
        api: Api, admin: Any, clean: Any, servers: list[ServerProcess]) -> None:
    show = await live_show(api, admin)
    user = await api.register("leaving")
    here = await connect(api.client, show.stream_id, user.access)
    await here.next("hello")
    servers.append(await start_server(clean))
    async with aiohttp.ClientSession() as session:
        there = Socket(await session.ws_connect(f"{servers[0].base}/ws/livestream/{show.stream_id}/",
                                                params={"token": user.access}), "json")
        await there.next("hello")
        bystander = await api.register("bystander")
        watching = await connect(api.client, show.stream_id, bystander.access)
        await watching.next("hello")
        assert (await api.post("/api/orders/cart/add/", {"product_id": show.product_id},
                               token=user.access)).status in (200, 201)

        off = await api.post(f"/api/admin/users/{user.id}/deactivate/", token=admin.access)
        assert off.status == 200, off.body
        assert await closed_with(here) == 4401
        assert await closed_with(there) == 4401  # the other process heard it on the revocation channel
    refused = await api.post("/api/orders/cart/add/", {"product_id": show.product_id}, token=user.access)
    assert refused.status == 401 and refused.error_code() == "token_revoked"
    with pytest.raises(aiohttp.WSServerHandshakeError) as handshake:
        await connect(api.client, show.stream_id, user.access)
    assert handshake.value.status == 401
    await watching.send("chat", {"text": "still here", "client_id": "c"})  # others are untouched
    assert (await watching.next("ack"))["data"]["client_id"] == "c"


async def test_logout_and_a_reused_refresh_token_end_that_sign_ins_access(api: Api) -> None:
    user = await api.register("dev")
    phone = await api.login("dev", user.password)
    assert (await api.post("/api/auth/logout/", {"refresh": user.refresh}, token=user.access)).status == 204
    gone = await api.get("/api/auth/profile/", token=user.access)
    assert gone.status == 401 and gone.error_code() == "token_revoked"
    assert (await api.get("/api/auth/profile/", token=phone.access)).status == 200  # another sign-in
    await api.post("/api/auth/refresh/", {"refresh": phone.refresh})
    assert (await api.post("/api/auth/refresh/", {"refresh": phone.refresh})).error_code() == "token_reused"
    assert (await api.get("/api/auth/profile/", token=phone.access)).error_code() == "token_revoked"


async def test_a_frame_of_an_ended_sign_in_is_refused_even_if_the_close_message_was_lost(
        api: Api, admin: Any, app: Any) -> None:
    show = await live_show(api, admin)
    user = await api.register("quiet")
    socket = await connect(api.client, show.stream_id, user.access)
    await socket.next("hello")
    # The mark is set as a revocation sets it, but no process is told (as if Redis dropped the message).
    await app[REDIS].set(f"revoked:{{{user.id}}}:user", str(int(time.time()) + 1), ex=60)
    app[REVOCATIONS].forget(user.id)  # as when this process's answer, cached for at most a second, runs out
    await socket.send("chat", {"text": "hello?", "client_id": "late"})
    refused = (await socket.next("error"))["data"]
    assert (refused["code"], refused["client_id"]) == ("token_revoked", "late")
    assert await closed_with(socket) == 4401
