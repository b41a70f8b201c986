"""The command line: createadmin, seed-demo (idempotent) and clear failures."""

from __future__ import annotations

import os
import subprocess
import sys

import asyncpg

from server.config import ROOT, Config
from server.credits.store import ledger_balance
from server.demo import DEMO_CREDITS, seed_demo
from server.embedded import free_port
from tests.conftest import Services
from tests.helpers import Api


def cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean_env = {k: v for k, v in os.environ.items() if not k.startswith("LSC_")}
    return subprocess.run([sys.executable, "-m", "server", *args], cwd=ROOT, env={**clean_env, **env},
                          capture_output=True, text=True, timeout=120)


async def test_createadmin_makes_an_account_that_can_verify_sellers(api: Api, clean: Services) -> None:
    result = cli("createadmin", "--username", "boss", "--email", "boss@example.com",
                 LSC_DATABASE_URL=clean.database_url, LSC_ADMIN_PASSWORD="boss-password", LSC_AUTH_SCRYPT_N="1024")
    assert result.returncode == 0, result.stderr
    assert "admin boss created" in result.stdout
    boss = await api.login("boss", "boss-password")
    assert boss.user["role"] == "admin"
    seller = await api.register("shop", "seller")
    assert (await api.post(f"/api/admin/sellers/{seller.id}/verify/", token=boss.access)).status == 200
    again = cli("createadmin", "--username", "BOSS", "--email", "b2@example.com",
                LSC_DATABASE_URL=clean.database_url, LSC_ADMIN_PASSWORD="boss-password")
    assert again.returncode != 0 and "username is taken" in again.stderr


def test_createadmin_refuses_a_short_password(clean: Services) -> None:
    result = cli("createadmin", "--username", "boss", "--email", "boss@example.com", "--password", "short",
                 LSC_DATABASE_URL=clean.database_url)
    assert result.returncode != 0 and "invalid input" in result.stderr


def test_an_unreachable_database_is_one_clear_line() -> None:
    result = cli("migrate", LSC_DATABASE_URL=f"postgresql://nobody@127.0.0.1:{free_port()}/none")
    assert result.returncode != 0
    assert result.stderr.strip().startswith("migrate: a backing service is unreachable")
    assert "Traceback" not in result.stderr


async def test_seed_demo_is_idempotent(api: Api, config: Config, db: asyncpg.Connection) -> None:
    first = await seed_demo(config)
    second = await seed_demo(config)
    assert first == second and set(first) == {"admin", "buyer1", "creator1", "seller1"}
    assert await db.fetchval("SELECT count(*) FROM users") == 4
    seller = await api.login("seller1", "seller123")
    assert seller.user["seller"]["verified"] is True
    assert seller.user["seller"]["credits"] == config.credits.verification_grant + DEMO_CREDITS
    assert seller.user["seller"]["credits"] == await ledger_balance(db, seller.id)
    assert (await api.login("admin", "admin123")).user["role"] == "admin"
    assert (await api.login("buyer1", "buyer123")).user["role"] == "buyer"
    catalog = await api.get("/api/products/products/?page_size=100")
    assert catalog.body["count"] == 8 and all(len(p["images"]) == 1 for p in catalog.body["results"])
    async with api.client.get(api.local(catalog.body["results"][0]["images"][0]["url"])) as resp:
        assert resp.status == 200 and resp.content_type == "image/png"
    assert (await api.get("/api/products/categories/")).body["count"] == 4
    buyer = await api.login("buyer1", "buyer123")
    feed = await api.get("/api/v1/shoppable-videos/?page_size=20", token=buyer.access)
    assert feed.body["count"] == 8 and len(feed.body["results"]) == 8
    assert all(v["product"] and v["image_file"] for v in feed.body["results"])
    async with api.client.get(api.local(feed.body["results"][0]["image_file"])) as resp:
        assert resp.status == 200 and resp.content_type == "image/png"
    following = await api.get("/api/v1/creators/me_following/", token=buyer.access)
    assert following.body["count"] == 2
    assert (await api.get("/api/v1/shoppable-video-categories/")).body["count"] == 10


async def test_load_video_categories_adds_the_defaults_once(clean: Services, db: asyncpg.Connection) -> None:
    first = cli("load-video-categories", LSC_DATABASE_URL=clean.database_url)
    assert first.returncode == 0, first.stderr
    assert "added 10 video categories" in first.stdout
    second = cli("load-video-categories", LSC_DATABASE_URL=clean.database_url)
    assert "added 0 video categories" in second.stdout
    assert await db.fetchval("SELECT count(*) FROM video_categories") == 10
