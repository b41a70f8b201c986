"""The contract's error model on every kind of bad request: right status, stable code, never a 500."""

from __future__ import annotations

import json
import random

import pytest
from aiohttp.test_utils import TestClient

from server.config import Config
from tests.conftest import make_config
from tests.helpers import Api

REGISTER = "/api/auth/register/buyer/"


async def raw(client: TestClient, method: str, path: str, body: bytes | str | None = None,
              headers: dict[str, str] | None = None) -> tuple[int, dict]:
    async with client.request(method, path, data=body, headers=headers or {}) as resp:
        assert resp.content_type == "application/json", await resp.text()
        return resp.status, await resp.json()


async def test_unknown_route_is_404_with_the_error_body(client: TestClient) -> None:
    status, body = await raw(client, "GET", "/api/no-such-thing/")
    assert status == 404
    assert body == {"error": {"code": "not_found", "message": "Nothing at /api/no-such-thing/."}}


async def test_wrong_method_is_405_naming_the_allowed_ones(client: TestClient) -> None:
    async with client.request("DELETE", "/api/auth/login/") as resp:
        assert resp.status == 405
        body = await resp.json()
        assert body["error"]["code"] == "method_not_allowed" and "POST" in body["error"]["message"]
        assert "POST" in resp.headers["Allow"]


@pytest.mark.parametrize("body", [b"{", b"{'a': 1}", b"\xff\xfe", b'{"username": NaN}', b"nul"])
async def test_malformed_json_is_400_invalid_json(client: TestClient, body: bytes) -> None:
    status, reply = await raw(client, "POST", REGISTER, body, {"Content-Type": "application/json"})
    assert status == 400 and reply["error"]["code"] == "invalid_json"


@pytest.mark.parametrize("body", [b"[]", b'"text"', b"42", b"null"])
async def test_json_that_is_not_an_object_is_400(client: TestClient, body: bytes) -> None:
    status, reply = await raw(client, "POST", REGISTER, body, {"Content-Type": "application/json"})
    assert status == 400 and reply["error"]["code"] == "invalid_json"
    assert "JSON object" in reply["error"]["message"]


async def test_missing_fields_are_listed(api: Api) -> None:
    reply = await api.post(REGISTER, {})
    assert reply.status == 400 and reply.error_code() == "invalid_input"
    assert reply.body["error"]["fields"] == {
        "username": ["This field is required."],
        "email": ["This field is required."],
        "password": ["This field is required."],
    }


async def test_empty_body_counts_as_missing_fields(client: TestClient) -> None:
    status, reply = await raw(client, "POST", REGISTER, b"", {"Content-Type": "application/json"})
    assert status == 400 and set(reply["error"]["fields"]) == {"username", "email", "password"}


@pytest.mark.parametrize(
    "field,value",
    [("username", 123), ("username", ["a"]), ("password", {"x": 1}), ("email", True), ("phone", 9876543210)],
)
async def test_wrong_types_are_400_on_that_field(api: Api, field: str, value: object) -> None:
    body = {"username": "valid_name", "email": "v@example.com", "password": "password123", field: value}
    reply = await api.post(REGISTER, body)
    assert reply.status == 400 and reply.error_code() == "invalid_input"
    assert field in reply.body["error"]["fields"]


async def test_wrong_query_types_are_400(api: Api) -> None:
    user = await api.register("querier")
    for query in ("page=0", "page=abc", "page_size=101", "page_size=-1"):
        reply = await api.get(f"/api/users/?{query}", token=user.access)
        assert reply.status == 400 and reply.error_code() == "invalid_input", query


async def test_form_encoded_body_is_415(client: TestClient) -> None:
    status, reply = await raw(client, "POST", REGISTER, "username=a&password=b",
                              {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 415 and reply["error"]["code"] == "unsupported_media_type"


async def test_body_over_the_limit_is_413(aiohttp_client, clean) -> None:
    from server.app import create_app

    client = await aiohttp_client(create_app(make_config(clean, server={"max_body_bytes": 2048})))
    big = json.dumps({"username": "a" * 5000, "email": "a@example.com", "password": "password123"})
    status, reply = await raw(client, "POST", REGISTER, big, {"Content-Type": "application/json"})
    assert status == 413 and reply["error"]["code"] == "payload_too_large"
    assert "2048" in reply["error"]["message"]


async def test_ids_beyond_the_database_range_are_404_not_500(api: Api, admin) -> None:
    reply = await api.get("/api/users/99999999999999999999999/", token=admin.access)
    assert reply.status == 404
    reply = await api.post("/api/admin/sellers/9223372036854775808/verify/", token=admin.access)
    assert reply.status == 404


async def test_roles_are_checked_before_the_body_is_read(api: Api) -> None:
    buyer = await api.register("buyer_b")
    reply = await api.call("POST", "/api/admin/sellers/1/verify/", data=b"{not json", token=buyer.access)
    assert reply.status == 403


async def test_random_bodies_never_cause_a_500(client: TestClient, config: Config) -> None:
    rng = random.Random(1234)
    alphabet = [b"{", b"}", b"[", b"]", b'"', b":", b",", b"1", b"-", b"e", b"null", b"true", b"\\u0000",
                b"username", b"password", b" ", b"\xf0\x9f\x98\x80", b"\x00"]
    paths = [REGISTER, "/api/auth/register/seller/", "/api/auth/login/", "/api/auth/refresh/"]
    for _ in range(150):
        body = b"".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        async with client.post(rng.choice(paths), data=body, headers={"Content-Type": "application/json"}) as resp:
            assert resp.status < 500, body
            assert (await resp.json())["error"]["code"]


async def test_null_bytes_and_huge_strings_are_refused_cleanly(api: Api) -> None:
    reply = await api.post(REGISTER, {"username": "nul\x00l", "email": "n@example.com", "password": "pass\x00word"})
    assert reply.status == 400
    reply = await api.post("/api/auth/login/", {"username": "x" * 10_000, "password": "y"})
    assert reply.status == 400 and "username" in reply.body["error"]["fields"]


async def test_nul_characters_anywhere_are_400_not_a_database_error(api: Api) -> None:
    user = await api.register("nully")
    reply = await api.patch("/api/auth/profile/update/", {"bio": "hello\x00world"}, token=user.access)
    assert reply.status == 400 and reply.error_code() == "invalid_input"
    assert reply.body["error"]["fields"] == {"bio": ["Text must not contain NUL characters."]}
    reply = await api.get("/api/users/?search=a%00b", token=user.access)
    assert reply.status == 400 and "search" in reply.body["error"]["fields"]
