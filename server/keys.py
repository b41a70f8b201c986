"""Typed application keys: where each shared resource lives on the aiohttp app."""

from __future__ import annotations

import asyncpg
import redis.asyncio as aioredis
from aiohttp import web

from server.config import Config
from server.metrics import Metrics
from server.revocation import Revocations
from server.sessions import Sessions
from server.tokens import TokenCodec
from server.urls import PublicBase

CONFIG = web.AppKey("config", Config)
DB = web.AppKey("db", asyncpg.Pool)
READ_DB = web.AppKey("read_db", asyncpg.Pool)  # a pool of database.read_url, only when it is set
REDIS = web.AppKey("redis", aioredis.Redis)
TOKENS = web.AppKey("tokens", TokenCodec)
METRICS = web.AppKey("metrics", Metrics)
SESSIONS = web.AppKey("sessions", Sessions)
REVOCATIONS = web.AppKey("revocations", Revocations)
PUBLIC_BASE = web.AppKey("public_base", PublicBase)
