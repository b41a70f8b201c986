"""Domain errors with the contract's stable snake_case codes, and their JSON body."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar


class DomainError(Exception):
    """A refusal the client can act on: an HTTP status, a stable code and a human sentence."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        fields: Mapping[str, Sequence[str]] | None = None,
        extra: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code  # type: ignore[misc]  # instance-level override of the class default
        self.fields = {k: list(v) for k, v in fields.items()} if fields else None
        self.extra = dict(extra) if extra else {}
        self.headers = dict(headers) if headers else {}

    def body(self) -> dict[str, Any]:
        """The contract's error body: {"error": {"code", "message", "fields"?, ...extra}}."""
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.fields:
            error["fields"] = self.fields
        error.update(self.extra)
        return {"error": error}


class InvalidInput(DomainError):
    status = 400
    code = "invalid_input"


class NotAuthenticated(DomainError):
    status = 401
    code = "not_authenticated"

    def __init__(self, message: str = "Sign in: send 'Authorization: Bearer <access token>'.", **kw: Any):
        kw.setdefault("headers", {"WWW-Authenticate": 'Bearer realm="api"'})
        super().__init__(message, **kw)


class PermissionDenied(DomainError):
    status = 403
    code = "permission_denied"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class MethodNotAllowed(DomainError):
    status = 405
    code = "method_not_allowed"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class PayloadTooLarge(DomainError):
    status = 413
    code = "payload_too_large"


class UnsupportedMediaType(DomainError):
    status = 415
    code = "unsupported_media_type"


class RateLimited(DomainError):
    status = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after_s: int, **kw: Any) -> None:
        kw.setdefault("headers", {"Retry-After": str(retry_after_s)})
        kw.setdefault("extra", {"retry_after_s": retry_after_s})
        super().__init__(message, **kw)


class UpgradeRequired(DomainError):
    """A WebSocket endpoint asked without the WebSocket handshake."""

    status = 426
    code = "upgrade_required"

    def __init__(self, message: str = "This is a WebSocket endpoint: connect with a WebSocket client.",
                 **kw: Any) -> None:
        kw.setdefault("headers", {"Upgrade": "websocket", "Connection": "Upgrade"})
        super().__init__(message, **kw)


class ServiceUnavailable(DomainError):
    status = 503
    code = "service_unavailable"


class InternalError(DomainError):
    status = 500
    code = "internal_error"
