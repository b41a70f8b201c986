"""Order status rules: which moves exist, who may make them, and what returns stock."""

from __future__ import annotations

import pytest

from commerce.orders.rules import MOVES, STATUSES, InvalidTransition, check_move, next_moves, returns_stock
from server.errors import PermissionDenied


def test_only_a_payment_marks_an_order_paid() -> None:
    check_move("pending_payment", "paid", "payment")
    for actor in ("buyer", "seller", "admin", "expiry"):
        with pytest.raises(PermissionDenied, match="Only payment can move"):
            check_move("pending_payment", "paid", actor)


def test_the_buyer_may_cancel_only_while_unpaid() -> None:
    check_move("pending_payment", "cancelled", "buyer")
    with pytest.raises(PermissionDenied):
        check_move("paid", "cancelled", "buyer")


def test_a_move_that_does_not_exist_names_where_the_order_can_go() -> None:
    with pytest.raises(InvalidTransition) as caught:
        check_move("paid", "delivered", "seller")
    assert caught.value.code == "invalid_transition"
    assert "from paid it can go to cancelled, shipped" in caught.value.message


@pytest.mark.parametrize("final", ["delivered", "cancelled"])
def test_delivered_and_cancelled_are_final_for_everyone(final: str) -> None:
    for actor in ("buyer", "seller", "admin", "payment", "expiry"):
        assert next_moves(final, actor) == []
    with pytest.raises(InvalidTransition, match=f"{final} is final for you"):
        check_move(final, "shipped", "admin")


def test_next_moves_lists_what_each_actor_may_do_in_table_order() -> None:
    assert next_moves("paid", "seller") == ["shipped", "cancelled"]
    assert next_moves("paid", "buyer") == []
    assert next_moves("pending_payment", "expiry") == ["cancelled"]
    assert next_moves("shipped", "admin") == ["delivered"]


def test_every_move_is_between_known_statuses_and_never_stays_put() -> None:
    for frm, to in MOVES:
        assert frm in STATUSES and to in STATUSES and frm != to


@pytest.mark.parametrize(("current", "target", "returned"), [
    ("pending_payment", "cancelled", True), ("paid", "cancelled", True), ("paid", "shipped", False),
    ("shipped", "delivered", False), ("pending_payment", "paid", False),
])
def test_stock_returns_only_when_an_unshipped_order_is_cancelled(current: str, target: str, returned: bool) -> None:
    assert returns_stock(current, target) is returned
