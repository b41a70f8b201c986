-- Flash sales in a live show: a number of units of one product at a price for a while, claimed into carts.
-- A claim takes the units from the sale and from the product's stock in one transaction; its cart line is
-- held (held_until) and, if not checked out by then, released: the units go back to the sale and the stock.

ALTER TABLE cart_items DROP CONSTRAINT cart_items_source_check;
ALTER TABLE cart_items ADD CONSTRAINT cart_items_source_check
    CHECK (source IN ('cart', 'auction', 'video', 'flash_sale'));
-- Set on a line whose stock was taken when it was claimed: checkout takes no stock for it.
ALTER TABLE cart_items ADD COLUMN held_until timestamptz;
CREATE INDEX cart_items_held ON cart_items (held_until) WHERE held_until IS NOT NULL;

CREATE TABLE flash_sales (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    livestream_id   bigint NOT NULL REFERENCES livestreams (id),
    seller_id       bigint NOT NULL REFERENCES sellers (user_id),
    product_id      bigint NOT NULL REFERENCES products (id),
    price           numeric(12, 2) NOT NULL CHECK (price >= 0),
    original_price  numeric(12, 2) NOT NULL CHECK (original_price >= 0),
    quantity        integer NOT NULL CHECK (quantity BETWEEN 1 AND 100000),
    remaining       integer NOT NULL CHECK (remaining BETWEEN 0 AND quantity),
    per_buyer_limit integer CHECK (per_buyer_limit >= 1),
    status          text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'ended')),
    ends_at         timestamptz NOT NULL,
    ended_at        timestamptz,
    -- Rises with every change of remaining or status: events report it, so viewers can order them.
    version         integer NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX flash_sales_stream ON flash_sales (livestream_id, id);
CREATE INDEX flash_sales_due ON flash_sales (ends_at) WHERE status = 'open';

CREATE TABLE flash_claims (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    flash_sale_id bigint NOT NULL REFERENCES flash_sales (id),
    buyer_id      bigint NOT NULL REFERENCES users (id),
    quantity      integer NOT NULL CHECK (quantity >= 1),
    released_at   timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX flash_claims_buyer ON flash_claims (flash_sale_id, buyer_id) WHERE released_at IS NULL;
