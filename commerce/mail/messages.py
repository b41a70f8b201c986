"""The text of each e-mail, from plain data."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Mail:
    subject: str
    body: str


def _money(amount: Decimal) -> str:
    return f"INR {amount:,.2f}"


def order_mail(platform: str, name: str, order_id: int, status: str, total: Decimal, note: str) -> Mail | None:
    """The buyer's e-mail for an order event, or None for events that send none."""
    lines = {
        "pending_payment": (f"Order #{order_id} placed",
                            f"Your order #{order_id} for {_money(total)} is placed. Pay within the time shown "
                            "in the app to keep the items reserved."),
        "paid": (f"Payment received for order #{order_id}",
                 f"We received {_money(total)} for order #{order_id}. The seller will ship it soon."),
        "shipped": (f"Order #{order_id} shipped",
                    f"Your order #{order_id} is on its way." + (f"\n\nTracking: {note}" if note else "")),
        "delivered": (f"Order #{order_id} delivered", f"Your order #{order_id} was delivered. Enjoy!"),
        "cancelled": (f"Order #{order_id} cancelled",
                      f"Your order #{order_id} was cancelled." + (f"\n\nReason: {note}" if note else "")
                      + "\n\nAny payment made for it will be refunded."),
    }
    if status not in lines:
        return None
    subject, text = lines[status]
    return Mail(f"{subject} · {platform}", f"Hello {name},\n\n{text}\n\n— {platform}\n")


def withdrawal_mail(platform: str, name: str, withdrawal_id: int, amount: Decimal, status: str, note: str) -> Mail:
    """The seller's e-mail when a withdrawal is approved or rejected."""
    verdict = "approved and is on its way to your bank account" if status == "approved" else "rejected"
    text = f"Your withdrawal #{withdrawal_id} of {_money(amount)} was {verdict}."
    if note:
        text += f"\n\nNote from the team: {note}"
    return Mail(f"Withdrawal #{withdrawal_id} {status} · {platform}", f"Hello {name},\n\n{text}\n\n— {platform}\n")
