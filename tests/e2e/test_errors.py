"""The contract's error model on every kind of bad request: right status, stable code, never a 500."""

from __future__ import annotations

import asyncio
import json
import random

import pytest
from aiohttp.test_utils import TestClient

from server.config import Config
from tests.conftest import make_config
from tests.e2e.test_rooms import connect, live_show
from tests.helpers import Account, Api, category, product, verified_seller

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


# The five causes of 500 that schemathesis found (issue 18), one regression test each.

async def test_money_far_beyond_the_bound_is_400_not_a_decimal_error(api: Api, admin: Account) -> None:
    seller = await verified_seller(api, admin, "weaver")
    cat = await category(api, admin)
    for value in (1e30, "1e30", 5.44e108, 10**40):
        reply = await api.post("/api/products/products/", {"name": "x", "price": value, "stock": 1, "category": cat},
                               token=seller.access)
        assert reply.status == 400 and "price" in reply.body["error"]["fields"], (value, reply.body)
    assert (await api.post("/api/payments/seller/withdrawals/", {"amount": 1e30},
                           token=seller.access)).status == 400
    for query in ("min_price=1e30", "max_price=1e309", "max_price=-1e30"):
        assert (await api.get(f"/api/products/products/?{query}")).status == 400, query
    show = await live_show(api, admin, "singer")
    opened = await api.post(f"/api/livestreams/livestreams/{show.stream_id}/biddings/",
                            {"product_id": show.product_id, "starting_price": 1e30, "duration_s": 60},
                            token=show.seller.access)
    assert opened.status == 400
    auction = await api.post(f"/api/livestreams/livestreams/{show.stream_id}/biddings/",
                             {"product_id": show.product_id, "starting_price": "100", "duration_s": 60},
                             token=show.seller.access)
    buyer = await api.register("buyer")
    assert (await api.post(f"/api/livestreams/biddings/{auction.body['id']}/place-bid/", {"max_amount": 5.44e108},
                           token=buyer.access)).status == 400


async def test_a_control_character_in_a_multipart_part_name_is_400(client: TestClient, api: Api,
                                                                  admin: Account) -> None:
    seller = await verified_seller(api, admin, "weaver")
    item = await product(api, seller, await category(api, admin))
    boundary = "b0undary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"fi\x01le\"; filename=\"a.png\"\r\n"
            f"Content-Type: image/png\r\n\r\nxx\r\n--{boundary}--\r\n").encode()
    for path in (f"/api/products/products/{item['id']}/images/", "/api/v1/shoppable-videos/"):
        status, reply = await raw(client, "POST", path, body, {
            "Content-Type": f"multipart/form-data; boundary={boundary}", "Authorization": f"Bearer {seller.access}"})
        assert status == 400 and reply["error"]["code"] == "invalid_input", (path, status, reply)


async def test_a_signature_that_is_not_ascii_is_refused_not_a_type_error(client: TestClient, api: Api) -> None:
    buyer = await api.register("buyer")
    reply = await api.post("/api/payments/verify/", {"razorpay_order_id": "order_1", "razorpay_payment_id": "pay_1",
                                                     "razorpay_signature": "é" * 64}, token=buyer.access)
    assert 400 <= reply.status < 500 and reply.body["error"]["code"] in ("invalid_signature", "payment_not_found")
    status, body = await raw(client, "POST", "/api/payments/webhook/", b'{"event": "payment.captured"}',
                             {"Content-Type": "application/json", "X-Razorpay-Signature": "\u00e9" * 64})
    assert status == 400 and body["error"]["code"] == "invalid_signature"


async def test_json_nested_too_deep_is_refused_over_rest_and_the_socket(client: TestClient, api: Api,
                                                                        admin: Account) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    status, body = await raw(client, "POST", REGISTER, deep, {"Content-Type": "application/json"})
    assert status == 400 and body["error"]["code"] == "invalid_json"
    nested: object = "x"
    for _ in range(40):  # parses, but deeper than any body of ours: refused before the models
        nested = {"a": nested}
    reply = await api.post(REGISTER, {"username": "deep", "email": "d@example.com", "password": "password123",
                                      "extra": nested})
    assert reply.status == 400 and reply.error_code() == "invalid_input"
    show = await live_show(api, admin)
    buyer = await api.register("buyer")
    socket = await connect(client, show.stream_id, buyer.access)
    await socket.next("hello")
    await socket.ws.send_str('{"type": "chat", "data": {"text": ' + "[" * 2000 + "]" * 2000 + "}}")
    assert (await socket.next("error"))["data"]["code"] == "bad_frame"
    await socket.send("chat", {"text": {"a": nested}, "client_id": "deep"})
    assert (await socket.next("error"))["data"]["code"] == "invalid_input"
    await socket.send("chat", {"text": "still here", "client_id": "ok"})
    assert (await socket.next("ack"))["data"]["client_id"] == "ok"


async def test_a_lone_surrogate_in_text_is_400_not_a_database_error(client: TestClient, api: Api,
                                                                     admin: Account) -> None:
    show = await live_show(api, admin)
    buyer = await api.register("buyer")
    body = b'{"text": "hi \\ud800 there"}'
    status, reply = await raw(client, "POST", f"/api/chat/messages/{show.stream_id}/send/", body, {
        "Content-Type": "application/json", "Authorization": f"Bearer {buyer.access}"})
    assert status == 400 and reply["error"]["fields"] == {"text": ["Text must be valid Unicode (no lone surrogates)."]}
    socket = await connect(client, show.stream_id, buyer.access)
    await socket.next("hello")
    await socket.ws.send_str('{"type": "chat", "data": {"text": "\\udfff", "client_id": "s1"}}')
    refused = (await socket.next("error"))["data"]
    assert (refused["code"], refused["client_id"]) == ("invalid_input", "s1")


@pytest.mark.parametrize("request_head", [
    f"GET /api/products/?search={'x' * 9000} HTTP/1.1\r\nHost: localhost\r\n\r\n",  # the request line
    f"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Long: {'y' * 9000}\r\n\r\n",  # one header
    "GET /healthz HTTP/1.1\r\nHost: localhost\r\nBad Header Name: 1\r\n\r\n",  # a malformed header
])
async def test_a_request_aiohttp_cannot_parse_gets_the_error_body_too(client: TestClient, request_head: str
                                                                      ) -> None:
    # aiohttp refuses these itself, before any middleware: a raw socket, since a client library would not send them.
    reader, writer = await asyncio.open_connection(client.server.host, client.server.port)
    try:
        writer.write(request_head.encode())
        await writer.drain()
        head, _, body = (await asyncio.wait_for(reader.read(), 10)).partition(b"\r\n\r\n")
    finally:
        writer.close()
    assert head.startswith((b"HTTP/1.0 400 ", b"HTTP/1.1 400 ")), head
    assert b"Content-Type: application/json" in head and b"Server: livestream-commerce\r\n" in head
    error = json.loads(body)["error"]
    assert error["code"] == "bad_request" and "8,190 bytes" in error["message"]
