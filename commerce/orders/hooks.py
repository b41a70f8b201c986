"""What happens when an order changes: the change, and the shape of an effect run inside its transaction.
Which effects there are is decided where the packages are composed (commerce.plugin), so orders imports none
of the packages that react to it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal

import asyncpg


@dataclass(frozen=True)
class OrderChange:
    """An order placed (old_status None) or moved from one status to another."""

    order_id: int
    buyer_id: int
    seller_id: int
    old_status: str | None
    new_status: str
    note: str
    total_amount: Decimal


# An effect runs in the change's transaction, so it happens exactly when the change commits, never without it.
OrderEffect = Callable[[asyncpg.Connection, OrderChange], Awaitable[None]]
