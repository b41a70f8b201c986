-- Razorpay payments (for orders and for credit purchases) and webhook deliveries seen.

CREATE TABLE payments (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    purpose             text NOT NULL CHECK (purpose IN ('order', 'credits')),
    user_id             bigint NOT NULL REFERENCES users (id),
    order_id            bigint REFERENCES orders (id),
    credits             integer CHECK (credits > 0),
    razorpay_order_id   text NOT NULL UNIQUE,
    razorpay_payment_id text UNIQUE,
    amount_paise        bigint NOT NULL CHECK (amount_paise > 0),
    currency            text NOT NULL DEFAULT 'INR',
    -- created -> captured -> refunded; created -> failed -> captured (a retry can succeed).
    status              text NOT NULL DEFAULT 'created'
                        CHECK (status IN ('created', 'captured', 'failed', 'refund_pending', 'refunded')),
    failure_reason      text,
    refund_id           text,
    -- A process issuing the refund holds the row until then, so only one asks Razorpay at a time.
    refund_claimed_until timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    captured_at         timestamptz,
    CHECK ((purpose = 'order') = (order_id IS NOT NULL)),
    CHECK ((purpose = 'credits') = (credits IS NOT NULL))
);
-- One Razorpay order per order of ours: a retried payment reuses it.
CREATE UNIQUE INDEX payments_one_per_order ON payments (order_id) WHERE purpose = 'order';
CREATE INDEX payments_refunds_due ON payments (id) WHERE status = 'refund_pending' AND refund_id IS NULL;

-- Webhook deliveries already applied, by Razorpay's event id: a repeat changes nothing.
CREATE TABLE webhook_events (
    event_id    text PRIMARY KEY,
    event       text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);
