"""What the payments service needs of a payment provider; Razorpay (gateway.Gateway) is the first one."""

from __future__ import annotations

from typing import Any, Protocol


class PaymentProvider(Protocol):
    """A provider account: orders the buyer's app pays against, signatures checked, full refunds.

    Amounts are integer paise. Failures raise the domain errors of gateway.py (payment_gateway_error,
    payment_gateway_unavailable, invalid_signature), so the API answers the same whatever the provider."""

    key_id: str  # what the buyer's app opens the provider's checkout with

    async def create_order(self, amount_paise: int, receipt: str, notes: dict[str, str]) -> dict[str, Any]:
        """A provider order for the amount; the answer has its "id"."""
        ...

    async def refund(self, payment_id: str) -> dict[str, Any]:
        """Refund a captured payment in full; safe to retry."""
        ...

    def verify_payment(self, order_id: str, payment_id: str, signature: str) -> None:
        """Raise InvalidSignature unless the checkout's signed result is genuine."""
        ...

    def verify_webhook(self, body: str, signature: str) -> None:
        """Raise InvalidSignature unless the webhook body was signed with the webhook secret."""
        ...
