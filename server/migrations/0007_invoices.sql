-- Invoices: a number per paid order, sequential within each calendar year.

CREATE TABLE invoice_counters (
    year integer PRIMARY KEY,
    last integer NOT NULL
);

CREATE TABLE invoices (
    order_id   bigint PRIMARY KEY REFERENCES orders (id),
    number     text NOT NULL UNIQUE,
    year       integer NOT NULL,
    seq        integer NOT NULL,
    issued_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (year, seq)
);
