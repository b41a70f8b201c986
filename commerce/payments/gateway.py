"""The Razorpay SDK behind async methods: its blocking calls run in worker threads; errors become ours."""

from __future__ import annotations

import asyncio
import functools
import threading
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from aiohttp import ClientSession, ClientTimeout, ContentTypeError, web

from server.config import RazorpayConfig
from server.errors import DomainError, InvalidInput, ServiceUnavailable

if TYPE_CHECKING:
    import razorpay


@functools.cache
def _sdk() -> SimpleNamespace:
    """What the gateway uses of the razorpay SDK, imported at the first payment: with requests it would be 5 MiB
    of every process's memory from the start."""
    import razorpay
    import requests
    from razorpay import errors

    return SimpleNamespace(Client=razorpay.Client, errors=errors, RequestException=requests.RequestException)


class PaymentGatewayError(DomainError):
    status = 502
    code = "payment_gateway_error"


class InvalidSignature(InvalidInput):
    code = "invalid_signature"


class Gateway:
    """One Razorpay account: key, secrets and API base URL."""

    def __init__(self, config: RazorpayConfig, base_url: str) -> None:
        self.key_id = config.key_id
        self._key_secret = config.key_secret
        self._webhook_secret = config.webhook_secret
        self.base_url = base_url.rstrip("/")
        self._local = threading.local()  # requests sessions are not shared between threads

    def _client(self) -> razorpay.Client:
        client = getattr(self._local, "client", None)
        if client is None:
            client = _sdk().Client(auth=(self.key_id, self._key_secret), base_url=self.base_url)
            self._local.client = client
        return client

    async def _call(self, fn: Any, *args: Any) -> dict[str, Any]:
        try:
            result: dict[str, Any] = await asyncio.to_thread(fn, *args)
        except _sdk().errors.BadRequestError as exc:
            raise PaymentGatewayError(f"Razorpay refused the request: {exc}") from None
        except (_sdk().errors.GatewayError, _sdk().errors.ServerError) as exc:
            raise PaymentGatewayError(f"Razorpay failed: {exc}") from None
        except _sdk().RequestException:
            raise ServiceUnavailable("Razorpay cannot be reached; try again shortly.",
                                     code="payment_gateway_unavailable") from None
        return result

    async def create_order(self, amount_paise: int, receipt: str, notes: dict[str, str]) -> dict[str, Any]:
        """A Razorpay order for the amount; the app's Checkout collects the payment against it."""
        data = {"amount": amount_paise, "currency": "INR", "receipt": receipt, "notes": notes}
        return await self._call(lambda: self._client().order.create(data))

    async def refund(self, payment_id: str) -> dict[str, Any]:
        """Refund a captured payment in full (Razorpay refuses a second full refund, so retries are safe)."""
        return await self._call(lambda: self._client().payment.refund(payment_id, {}))

    def verify_payment(self, order_id: str, payment_id: str, signature: str) -> None:
        """Check Checkout's signature of 'order_id|payment_id' with the key secret (HMAC: no I/O)."""
        if not signature.isascii():  # a hex digest; hmac.compare_digest raises TypeError on other text
            raise InvalidSignature("The payment signature does not match; the payment is not confirmed.")
        try:
            self._client().utility.verify_payment_signature({
                "razorpay_order_id": order_id, "razorpay_payment_id": payment_id, "razorpay_signature": signature,
            })
        except _sdk().errors.SignatureVerificationError:
            raise InvalidSignature("The payment signature does not match; the payment is not confirmed.") from None

    def verify_webhook(self, body: str, signature: str) -> None:
        """Check X-Razorpay-Signature over the raw body with the webhook secret."""
        if not signature.isascii():
            raise InvalidSignature("The webhook signature does not match.")
        try:
            self._client().utility.verify_webhook_signature(body, signature, self._webhook_secret)
        except _sdk().errors.SignatureVerificationError:
            raise InvalidSignature("The webhook signature does not match.") from None

    async def pay_locally(self, order_id: str) -> dict[str, Any]:
        """Development only: what Checkout does when the payer pays, done by the local Razorpay-compatible
        server (its /_local/ step); answers Checkout's signed result fields."""
        url = f"{self.base_url}/_local/orders/{quote(order_id, safe='')}/pay"
        try:
            async with ClientSession(timeout=ClientTimeout(total=15)) as session, \
                    session.post(url, json={"outcome": "success"}) as response:
                result: dict[str, Any] = await response.json()
        except (OSError, TimeoutError, ContentTypeError):
            raise ServiceUnavailable("The local Razorpay server cannot be reached.",
                                     code="payment_gateway_unavailable") from None
        if "razorpay_payment_id" not in result:
            raise PaymentGatewayError(f"The local Razorpay refused the payment: {result.get('error')}")
        return result


GATEWAY = web.AppKey("razorpay_gateway", Gateway)
