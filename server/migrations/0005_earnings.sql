-- Seller earnings (one entry per paid order, and its reversal if refunded) and withdrawals.

CREATE TABLE earnings (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    seller_id    bigint NOT NULL REFERENCES sellers (user_id),
    order_id     bigint NOT NULL REFERENCES orders (id),
    kind         text NOT NULL CHECK (kind IN ('sale', 'refund')),
    gross        numeric(12, 2) NOT NULL,
    commission   numeric(12, 2) NOT NULL,
    net          numeric(12, 2) NOT NULL,
    -- Withdrawable from this moment (the sale's hold; a refund shares its sale's).
    available_at timestamptz NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (order_id, kind)
);
CREATE INDEX earnings_seller ON earnings (seller_id, id DESC);

CREATE TABLE withdrawals (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    seller_id  bigint NOT NULL REFERENCES sellers (user_id),
    amount     numeric(12, 2) NOT NULL CHECK (amount > 0),
    status     text NOT NULL DEFAULT 'requested' CHECK (status IN ('requested', 'approved', 'rejected')),
    note       text NOT NULL DEFAULT '',
    decided_by bigint REFERENCES users (id),
    decided_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX withdrawals_seller ON withdrawals (seller_id, id DESC);
CREATE INDEX withdrawals_open ON withdrawals (id) WHERE status = 'requested';
