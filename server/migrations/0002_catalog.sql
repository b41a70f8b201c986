-- Catalog: categories, products and their images.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE categories (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL,
    description text NOT NULL DEFAULT '',
    image       text,
    created_by  bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX categories_name_key ON categories (lower(name));

CREATE TABLE products (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    seller_id   bigint NOT NULL REFERENCES sellers (user_id),
    category_id bigint NOT NULL REFERENCES categories (id),
    name        text NOT NULL,
    description text NOT NULL DEFAULT '',
    price       numeric(12, 2) NOT NULL CHECK (price >= 0),
    -- Stock is taken only by conditional updates; the CHECK is the last line of defence.
    stock       integer NOT NULL CHECK (stock >= 0),
    is_active   boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
-- The list's orderings and filters over active products, each with id as the tie-breaker.
CREATE INDEX products_active_created ON products (created_at DESC, id DESC) WHERE is_active;
CREATE INDEX products_active_price ON products (price, id) WHERE is_active;
CREATE INDEX products_category ON products (category_id, created_at DESC) WHERE is_active;
CREATE INDEX products_seller ON products (seller_id, created_at DESC);
-- ?search= is a case-insensitive "contains" over name and description.
CREATE INDEX products_search_trgm ON products USING gin ((lower(name || ' ' || description)) gin_trgm_ops);

CREATE TABLE product_images (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    product_id   bigint NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    path         text NOT NULL,
    content_type text NOT NULL,
    size_bytes   integer NOT NULL,
    width        integer NOT NULL,
    height       integer NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX product_images_product ON product_images (product_id, id);
