"""Order status rules as plain data: which moves exist and who may make them."""

from __future__ import annotations

from typing import Literal

from server.errors import Conflict, PermissionDenied

Status = Literal["pending_payment", "paid", "shipped", "delivered", "cancelled"]
Actor = Literal["buyer", "seller", "admin", "payment", "expiry"]
STATUSES: tuple[Status, ...] = ("pending_payment", "paid", "shipped", "delivered", "cancelled")

# (from, to) -> who may make that move.
MOVES: dict[tuple[str, str], frozenset[str]] = {
    ("pending_payment", "paid"): frozenset({"payment"}),
    ("pending_payment", "cancelled"): frozenset({"buyer", "seller", "admin", "expiry"}),
    ("paid", "shipped"): frozenset({"seller", "admin"}),
    ("paid", "cancelled"): frozenset({"seller", "admin"}),
    ("shipped", "delivered"): frozenset({"seller", "admin"}),
}


class InvalidTransition(Conflict):
    code = "invalid_transition"


def next_moves(current: str, actor: str) -> list[str]:
    """The statuses `actor` may move an order to from `current`, in the order MOVES lists them."""
    return [to for (frm, to), who in MOVES.items() if frm == current and actor in who]


def check_move(current: str, target: str, actor: str) -> None:
    """Raise unless `actor` may move an order from `current` to `target`."""
    allowed = MOVES.get((current, target))
    if allowed is None:
        nexts = sorted(next_moves(current, actor))
        hint = f"; from {current} it can go to {', '.join(nexts)}" if nexts else f"; {current} is final for you"
        raise InvalidTransition(f"An order cannot go from {current} to {target}{hint}.")
    if actor not in allowed:
        raise PermissionDenied(f"Only {' or '.join(sorted(allowed))} can move an order from {current} to {target}.")


def returns_stock(current: str, target: str) -> bool:
    """Cancelling before shipping puts the items back on the shelf."""
    return target == "cancelled" and current in ("pending_payment", "paid")
