-- Live auctions and their bids.

CREATE TABLE biddings (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    livestream_id  bigint NOT NULL REFERENCES livestreams (id),
    product_id     bigint NOT NULL REFERENCES products (id),
    seller_id      bigint NOT NULL REFERENCES sellers (user_id),
    status         text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    mode           text NOT NULL CHECK (mode IN ('soft_close', 'sudden_death')),
    starting_price numeric(12, 2) NOT NULL CHECK (starting_price > 0),
    min_increment  numeric(12, 2) CHECK (min_increment > 0),
    reserve_price  numeric(12, 2) CHECK (reserve_price > 0),
    anti_snipe_s   integer NOT NULL,
    ends_at        timestamptz NOT NULL,
    current_amount numeric(12, 2),
    leader_id      bigint REFERENCES users (id),
    -- The leader's maximum: never shown to anyone but the leader.
    leader_max     numeric(12, 2),
    bids_count     integer NOT NULL DEFAULT 0,
    version        integer NOT NULL DEFAULT 0,
    winner_id      bigint REFERENCES users (id),
    winning_amount numeric(12, 2),
    closed_at      timestamptz,
    close_reason   text,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX biddings_one_open_per_stream ON biddings (livestream_id) WHERE status = 'open';
CREATE INDEX biddings_due ON biddings (ends_at) WHERE status = 'open';

CREATE TABLE bids (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    bidding_id bigint NOT NULL REFERENCES biddings (id),
    bidder_id  bigint NOT NULL REFERENCES users (id),
    amount     numeric(12, 2) NOT NULL,
    -- The maximum the bidder sent with it (hidden), and whether the server placed this bid from one.
    max_amount numeric(12, 2),
    proxy      boolean NOT NULL DEFAULT false,
    version    integer NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX bids_bidding ON bids (bidding_id, id);
