-- Giveaways in a live show: viewers enter while connected, one winner is drawn once, auditable by its seed
-- and the hash of the entrant list, and gets the product as an order at price 0. Its unit is taken from the
-- product's stock when the giveaway starts, and given back if nobody wins.

CREATE TABLE giveaways (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    livestream_id bigint NOT NULL REFERENCES livestreams (id),
    seller_id     bigint NOT NULL REFERENCES sellers (user_id),
    product_id    bigint NOT NULL REFERENCES products (id),
    eligibility   text NOT NULL CHECK (eligibility IN ('everyone', 'followers', 'buyers')),
    status        text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'drawn')),
    ends_at       timestamptz NOT NULL,
    entries       integer NOT NULL DEFAULT 0,
    winner_id     bigint REFERENCES users (id),
    order_id      bigint REFERENCES orders (id),
    seed          text,
    entries_hash  text,
    drawn_at      timestamptz,
    version       integer NOT NULL DEFAULT 0,
    created_at    timestamptz NOT NULL DEFAULT now()
);
-- One giveaway at a time per show.
CREATE UNIQUE INDEX giveaways_one_open ON giveaways (livestream_id) WHERE status = 'open';
CREATE INDEX giveaways_due ON giveaways (ends_at) WHERE status = 'open';

CREATE TABLE giveaway_entries (
    giveaway_id bigint NOT NULL REFERENCES giveaways (id),
    user_id     bigint NOT NULL REFERENCES users (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (giveaway_id, user_id)
);
