"""The seller credit ledger (one row per change, applied once per cause) and the arithmetic of metering air time."""
