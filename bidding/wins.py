"""Binding wins: a won item is owed until paid, lapses when its time runs out, and may then be offered to the
runner-up (second chance); one buyer at a time ever holds it."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from bidding import store, wins_store
from bidding.schemas import BiddingOut
from bidding.service import Auctions
from bidding.wins_store import LockedWin
from commerce.cart.service import put_in_cart
from commerce.orders.hooks import OrderChange
from rooms.notifications.service import notify_after_commit
from server.background import once_each
from server.config import BiddingConfig
from server.errors import Conflict, NotFound, PermissionDenied
from server.money import wire_number
from server.tokens import Principal


@dataclass
class Wins:
    pool: asyncpg.Pool
    auctions: Auctions
    config: BiddingConfig

    async def lapse(self, win_id: int) -> None:
        """A win not paid by its deadline lapses: its line leaves the cart, the buyer and the seller are told.
        One whose item is in an order waiting for payment waits for that order (paid, or cancelled by its own
        deadline); Conflict if it does not lapse now."""
        async with self.pool.acquire() as conn, conn.transaction():
            win = await wins_store.lock_win(conn, win_id)
            if win is None or win.status != "pending" or win.pay_by > win.now:
                raise Conflict("The win is paid, lapsed or not due.", code="not_due")
            # Removing the line first waits for a checkout that holds it, so the order check sees its order.
            if not await wins_store.remove_owed_line(conn, win) and await wins_store.in_unpaid_order(conn, win):
                raise Conflict("The item is in an order waiting for payment.", code="in_order")
            await wins_store.lapse(conn, win.id)
            await self._tell_lapsed(conn, win)

    async def _tell_lapsed(self, conn: asyncpg.Connection, win: LockedWin) -> None:
        data = {"bidding_id": win.bidding_id, "product_id": win.product_id, "amount": wire_number(win.amount)}
        await notify_after_commit(conn, win.buyer_id, "auction_lapsed",
                                  f"{win.product_name} was not paid in time; your win has lapsed.", data)
        await notify_after_commit(conn, win.seller_id, "auction_lapsed",
                                  f"{win.buyer_username} did not pay for {win.product_name} in time; you may "
                                  "offer it to the next bidder (second chance).", {**data, "buyer_id": win.buyer_id})

    async def sweep(self) -> int:
        """Lapse the wins past their time to pay; each once, whichever process gets there first."""
        return await once_each(await wins_store.due(self.pool), self.lapse)

    async def offer(self, me: Principal, bidding_id: int) -> BiddingOut:
        """Its seller offers a lapsed win's item to the bidder with the next highest maximum, at their highest
        bid, for `bidding.second_chance_s`. One offer open at a time; each bidder is offered it once."""
        async with self.pool.acquire() as conn, conn.transaction():
            row = await store.lock(conn, bidding_id)  # one seller action on this auction at a time
            if row is None:
                raise NotFound(f"No auction with id {bidding_id}.", code="auction_not_found")
            if row.seller_id != me.user_id:
                raise PermissionDenied("Only the auction's seller offers a second chance.")
            win = (await wins_store.latest_wins(conn, [bidding_id])).get(bidding_id)
            if win is None or win.status != "lapsed":
                raise Conflict("A second chance is offered once a win has lapsed unpaid.", code="not_lapsed")
            await wins_store.expire_offers(conn, bidding_id)
            runner_up = await wins_store.runner_up(conn, bidding_id)
            if runner_up is None:
                raise Conflict("No other bidder is left to offer it to.", code="no_runner_up")
            buyer_id, amount = runner_up
            try:
                async with conn.transaction():
                    await wins_store.insert_offer(conn, bidding_id, buyer_id, amount, self.config.second_chance_s)
            except asyncpg.UniqueViolationError:
                raise Conflict("An offer is open; wait for its answer or its end.", code="offer_open") from None
            out = await self.auctions.view_in(conn, bidding_id)
            offer = out.second_chance
            assert offer is not None
            await notify_after_commit(
                conn, buyer_id, "second_chance_offer",
                f"Second chance: {out.product_name} is yours for {amount} if you accept by "
                f"{offer.expires_at:%d %b %Y %H:%M} UTC.",
                {"bidding_id": bidding_id, "product_id": row.product_id, "amount": wire_number(amount),
                 "expires_at": offer.expires_at.isoformat()}, actor_id=me.user_id)
        return out

    async def accept(self, me: Principal, bidding_id: int) -> BiddingOut:
        """The offered buyer takes the item: it goes into their cart, owed like a win. Of two accepts at once
        one wins; an offer past its time or answered is 409."""
        async with self.pool.acquire() as conn, conn.transaction():
            offer = await self._open_offer(conn, me, bidding_id)
            try:
                async with conn.transaction():
                    pay_by = await wins_store.insert_win(conn, bidding_id, me.user_id, offer.amount, "second_chance",
                                                         self.config.pay_within_s)
            except asyncpg.UniqueViolationError:  # held by someone: cannot happen while offers are one at a time
                raise Conflict("Someone else holds the item.", code="offer_not_open") from None
            await wins_store.decide_offer(conn, offer.id, "accepted")
            await put_in_cart(conn, me.user_id, offer.product_id, source="auction", unit_price=offer.amount,
                              ref=wins_store.item_ref(bidding_id), pay_by=pay_by)
            return await self.auctions.view_in(conn, bidding_id)

    async def decline(self, me: Principal, bidding_id: int) -> BiddingOut:
        """The offered buyer turns the offer down; the seller may offer it to the next bidder."""
        async with self.pool.acquire() as conn, conn.transaction():
            offer = await self._open_offer(conn, me, bidding_id)
            await wins_store.decide_offer(conn, offer.id, "declined")
            return await self.auctions.view_in(conn, bidding_id)

    async def _open_offer(self, conn: asyncpg.Connection, me: Principal, bidding_id: int) -> wins_store.LockedOffer:
        offer = await wins_store.lock_offer(conn, bidding_id, me.user_id)
        if offer is None:
            raise NotFound("You have no second-chance offer on this auction.", code="offer_not_found")
        if offer.status != "open":
            raise Conflict(f"The offer was {offer.status}.", code="offer_not_open")
        if offer.expired:
            raise Conflict("The offer has expired.", code="offer_expired")
        return offer


async def settle_on_order_change(conn: asyncpg.Connection, change: OrderChange) -> None:
    """An order effect: paying an order pays the wins it holds; an unpaid order cancelled puts its won items
    back in the cart, still owed, while their time to pay runs (a buyer cannot shed a win by cancelling)."""
    if change.new_status == "paid":
        await wins_store.mark_paid(conn, change.order_id)
    elif change.new_status == "cancelled" and change.old_status == "pending_payment":
        await wins_store.return_owed_lines(conn, change.order_id)
