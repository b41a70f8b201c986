-- Cart, orders, order items and their tracking history.

CREATE TABLE cart_items (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    buyer_id   bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    product_id bigint NOT NULL REFERENCES products (id),
    source     text NOT NULL CHECK (source IN ('cart', 'auction', 'video')),
    -- What put the line here once and only once (an auction's id); '' for lines the buyer adds.
    ref        text NOT NULL DEFAULT '',
    quantity   integer NOT NULL CHECK (quantity BETWEEN 1 AND 1000),
    -- A fixed price (an auction's winning bid); NULL follows the product's current price.
    unit_price numeric(12, 2) CHECK (unit_price >= 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (buyer_id, product_id, source, ref)
);
CREATE INDEX cart_items_buyer ON cart_items (buyer_id, id);

CREATE TABLE orders (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    buyer_id         bigint NOT NULL REFERENCES users (id),
    -- Every order is one seller's: it ships, is invoiced and earns as one.
    seller_id        bigint NOT NULL REFERENCES sellers (user_id),
    status           text NOT NULL CHECK (status IN ('pending_payment', 'paid', 'shipped', 'delivered', 'cancelled')),
    total_amount     numeric(12, 2) NOT NULL CHECK (total_amount >= 0),
    shipping_address jsonb NOT NULL,
    idempotency_key  text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    paid_at          timestamptz,
    UNIQUE (buyer_id, idempotency_key)
);
CREATE INDEX orders_buyer ON orders (buyer_id, id DESC);
CREATE INDEX orders_seller ON orders (seller_id, id DESC);
CREATE INDEX orders_pending ON orders (created_at) WHERE status = 'pending_payment';

CREATE TABLE order_items (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id   bigint NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    product_id bigint NOT NULL REFERENCES products (id),
    name       text NOT NULL,
    unit_price numeric(12, 2) NOT NULL CHECK (unit_price >= 0),
    quantity   integer NOT NULL CHECK (quantity >= 1),
    source     text NOT NULL,
    ref        text NOT NULL DEFAULT ''
);
CREATE INDEX order_items_order ON order_items (order_id);

CREATE TABLE order_events (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id   bigint NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    status     text NOT NULL,
    note       text NOT NULL DEFAULT '',
    actor_id   bigint REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX order_events_order ON order_events (order_id, id);
