"""Earnings arithmetic as plain functions."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from server.money import percent_of


@dataclass(frozen=True)
class Split:
    gross: Decimal
    commission: Decimal
    net: Decimal


def split_sale(total: Decimal, commission_bps: int) -> Split:
    """What the platform keeps and what the seller earns from an order's total."""
    commission = percent_of(total, commission_bps)
    return Split(total, commission, total - commission)


@dataclass(frozen=True)
class Balance:
    total: Decimal
    pending: Decimal
    withdrawn: Decimal
    requested: Decimal

    @property
    def available(self) -> Decimal:
        """Earned, past its hold, and neither paid out nor asked for."""
        return self.total - self.pending - self.withdrawn - self.requested
