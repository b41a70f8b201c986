"""Helpers for API tests: JSON calls with a token, sign-ups, error-shape checks, reading /metrics."""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient
from prometheus_client.parser import text_string_to_metric_families

from server.config import ROOT


@dataclass
class Reply:
    status: int
    body: Any
    headers: Any

    def error_code(self) -> str:
        """The contract error code, after checking the error body's shape."""
        assert isinstance(self.body, dict) and set(self.body) == {"error"}, self.body
        error = self.body["error"]
        assert isinstance(error["code"], str) and isinstance(error["message"], str) and error["message"], error
        return str(error["code"])


@dataclass
class Account:
    id: int
    username: str
    password: str
    access: str
    refresh: str
    user: dict[str, Any]


class Api:
    """A thin JSON client over the aiohttp test client."""

    def __init__(self, client: TestClient[Any, Any]) -> None:
        self.client = client

    @property
    def base(self) -> str:
        """This server as links in its answers name it: the scheme and Host the test client sends."""
        return str(self.client.make_url("")).rstrip("/")

    def local(self, link: str) -> str:
        """The path of a link to this server (links in answers are absolute); any other link fails."""
        if link.startswith("/"):
            return link
        assert link.startswith(self.base + "/"), f"{link} is not a link to {self.base}"
        return link[len(self.base):]

    async def call(
        self,
        method: str,
        path: str,
        json: Any = None,
        *,
        token: str | None = None,
        data: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        hdrs = dict(headers or {})
        if token:
            hdrs["Authorization"] = f"Bearer {token}"
        kwargs: dict[str, Any] = {"headers": hdrs}
        if json is not None:
            kwargs["json"] = json
        if data is not None:
            kwargs["data"] = data
        async with self.client.request(method, self.local(path), **kwargs) as resp:
            raw = await resp.read()
            body: Any = None
            if resp.content_type == "application/json":
                body = await resp.json()
            elif resp.content_type.startswith("text/"):
                body = raw.decode()
            elif raw:
                body = raw
            return Reply(resp.status, body, resp.headers)

    async def get(self, path: str, **kw: Any) -> Reply:
        return await self.call("GET", path, **kw)

    async def post(self, path: str, json: Any = None, **kw: Any) -> Reply:
        return await self.call("POST", path, json, **kw)

    async def patch(self, path: str, json: Any = None, **kw: Any) -> Reply:
        return await self.call("PATCH", path, json, **kw)

    async def register(
        self, username: str, role: str = "buyer", password: str = "password123", **extra: Any
    ) -> Account:
        """Sign up a buyer or seller and return its tokens."""
        body = {"username": username, "email": f"{username}@example.com", "password": password, **extra}
        if role == "seller":
            body.setdefault("business_name", f"{username} shop")
        reply = await self.post(f"/api/auth/register/{role}/", body)
        assert reply.status == 201, reply.body
        return Account(reply.body["user"]["id"], username, password, reply.body["access"], reply.body["refresh"],
                       reply.body["user"])

    async def login(self, username: str, password: str) -> Account:
        reply = await self.post("/api/auth/login/", {"username": username, "password": password})
        assert reply.status == 200, reply.body
        return Account(reply.body["user"]["id"], username, password, reply.body["access"], reply.body["refresh"],
                       reply.body["user"])


async def verified_seller(api: Api, admin: Account, username: str) -> Account:
    """A seller verified by the admin (with the free credit), signed in."""
    seller = await api.register(username, "seller")
    reply = await api.post(f"/api/admin/sellers/{seller.id}/verify/", token=admin.access)
    assert reply.status == 200, reply.body
    seller.user = reply.body
    return seller


async def category(api: Api, admin: Account, name: str = "Sarees") -> int:
    reply = await api.post("/api/products/categories/", {"name": name}, token=admin.access)
    assert reply.status == 201, reply.body
    return int(reply.body["id"])


async def product(api: Api, seller: Account, category_id: int, name: str = "Silk saree", price: object = "1299.00",
                  stock: int = 10, **extra: Any) -> dict[str, Any]:
    body = {"name": name, "price": price, "stock": stock, "category": category_id, **extra}
    reply = await api.post("/api/products/products/", body, token=seller.access)
    assert reply.status == 201, reply.body
    return dict(reply.body)


CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


class Browserless:
    """A console user without a browser: its own cookie jar, forms posted as a browser posts them."""

    def __init__(self, client: TestClient[Any, Any]) -> None:
        self.client = client
        self.session = aiohttp.ClientSession(base_url=client.make_url(""), cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.csrf = ""

    async def close(self) -> None:
        await self.session.close()

    async def get(self, path: str, **kw: Any) -> tuple[int, str]:
        """A page (redirects not followed): its status and HTML; remembers the page's CSRF token."""
        async with self.session.get(path, allow_redirects=False, **kw) as resp:
            text = await resp.text()
            found = CSRF_INPUT.search(text)
            if found:
                self.csrf = html.unescape(found.group(1))
            return resp.status, text if resp.status < 300 or resp.status >= 400 else resp.headers.get("Location", "")

    async def post(self, path: str, data: Any = None, *, csrf: bool = True) -> tuple[int, str]:
        """A form post with the page's CSRF token (unless csrf=False): status and HTML, or the redirect target."""
        if isinstance(data, aiohttp.FormData):
            form = data
            if csrf:
                form.add_field("csrf_token", self.csrf)
        else:
            form = aiohttp.FormData({**(data or {}), **({"csrf_token": self.csrf} if csrf else {})})
        async with self.session.post(path, data=form, allow_redirects=False) as resp:
            text = await resp.text()
            return resp.status, resp.headers.get("Location", "") if resp.status in (302, 303) else text

    async def login(self, username: str, password: str) -> tuple[int, str]:
        await self.get("/console/login")
        return await self.post("/console/login", {"username": username, "password": password})


async def console_user(client: TestClient[Any, Any], username: str, password: str) -> Browserless:
    """A signed-in console user (seller or admin)."""
    user = Browserless(client)
    status, location = await user.login(username, password)
    assert status == 303 and location == "/console/", (status, location)
    await user.get("/console/")
    return user


Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def samples(text: str) -> Samples:
    """The samples of a Prometheus exposition by (name, labels)."""
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def sample(found: Samples, name: str, **labels: str) -> float:
    """One sample's value (0 when absent: a counter not yet counted)."""
    return found.get((name, frozenset(labels.items())), 0.0)


def families(text: str) -> set[str]:
    return {family.name for family in text_string_to_metric_families(text)}


def promtool_check(text: str) -> None:
    """`promtool check metrics` (Debian's prometheus package) accepts the exposition. Without promtool the
    test is skipped, unless LSC_PROMTOOL_TESTS=required (CI, which unpacks it into var/tools/)."""
    promtool = os.environ.get("LSC_PROMTOOL") or shutil.which("promtool") or str(Path(ROOT, "var/tools/promtool"))
    if not os.access(promtool, os.X_OK):
        if os.environ.get("LSC_PROMTOOL_TESTS") == "required":
            raise AssertionError(f"LSC_PROMTOOL_TESTS=required but there is no promtool at {promtool}")
        pytest.skip("promtool is not installed (apt-get download prometheus; see .ci/run)")
    checked = subprocess.run([promtool, "check", "metrics"], input=text.encode(), capture_output=True, timeout=30)
    assert checked.returncode == 0, (checked.stdout + checked.stderr).decode()
