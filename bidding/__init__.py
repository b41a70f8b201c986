"""Auctions (rules over plain data, atomic storage) and seller credit metering."""
