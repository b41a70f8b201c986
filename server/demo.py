"""Demo data for a fresh `make run`: the documented accounts, and each package's sample rows."""

from __future__ import annotations

import logging

import asyncpg

from commerce.demo import seed_catalog
from feed.demo import seed_reels
from server.accounts.schemas import RegisterBuyer, RegisterSeller
from server.accounts.service import create_user, verify_seller
from server.accounts.store import user_id_by_username
from server.config import Config, media_path
from server.credits.store import apply_credits
from server.db import create_pool
from server.passwords import hash_password_async

log = logging.getLogger(__name__)

DEMO_ACCOUNTS: list[RegisterBuyer] = [
    RegisterBuyer(username="admin", email="admin@example.com", password="admin123"),
    RegisterBuyer(username="buyer1", email="buyer1@example.com", password="buyer123", phone="+919800000001"),
    RegisterBuyer(username="creator1", email="creator1@example.com", password="creator123"),
    RegisterSeller(username="seller1", email="seller1@example.com", password="seller123",
                   phone="+919800000002", business_name="Seller One Boutique"),
]
ROLES = {"admin": "admin", "buyer1": "buyer", "creator1": "buyer", "seller1": "seller"}
DEMO_CREDITS = 10



async def seed_demo(config: Config) -> dict[str, int]:
    """Create the demo accounts if missing (safe to run again); returns username -> id."""
    pool = await create_pool(config.database)
    try:
        ids: dict[str, int] = {}
        async with pool.acquire() as conn, conn.transaction():
            for account in DEMO_ACCOUNTS:
                existing = await user_id_by_username(conn, account.username)
                if existing is None:
                    hashed = await hash_password_async(account.password, config.auth.scrypt_n)
                    existing = await create_user(conn, account, ROLES[account.username], hashed)
                    log.info("demo account %s created", account.username)
                ids[account.username] = existing
            await verify_seller(conn, ids["seller1"], ids["admin"], config.credits.verification_grant)
            await apply_credits(conn, ids["seller1"], DEMO_CREDITS, "demo_grant", "seed-demo")
        # Each package's demo rows, idempotent like the accounts above (livestreams and reels join here).
        await seed_catalog(pool, ids, media_path(config))
        await seed_reels(pool, ids, media_path(config))
        return ids
    finally:
        await pool.close()


async def create_admin(config: Config, username: str, email: str, password: str) -> int:
    """Create an admin account; 409-style Conflict if the name or e-mail is taken."""
    data = RegisterBuyer(username=username, email=email, password=password)
    conn = await asyncpg.connect(config.database.url)
    try:
        async with conn.transaction():
            hashed = await hash_password_async(data.password, config.auth.scrypt_n)
            return await create_user(conn, data, "admin", hashed)
    finally:
        await conn.close()
