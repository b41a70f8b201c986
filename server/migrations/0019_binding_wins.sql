-- Binding wins and second chance. A won auction's item is owed to one buyer at a time: the winner, or later a
-- runner-up who accepted a second-chance offer. Each holds it as a win that must be paid by `pay_by`; unpaid
-- then, it lapses and the seller may offer the item to the next bidder. The partial unique indexes make "one
-- buyer ever ends up with the item" and "one offer open at a time" rules of the database.

CREATE TABLE auction_wins (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    bidding_id bigint NOT NULL REFERENCES biddings (id),
    buyer_id   bigint NOT NULL REFERENCES users (id),
    amount     numeric(12, 2) NOT NULL CHECK (amount > 0),
    kind       text NOT NULL CHECK (kind IN ('win', 'second_chance')),
    status     text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'paid', 'lapsed')),
    pay_by     timestamptz NOT NULL,
    order_id   bigint REFERENCES orders (id),
    settled_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX auction_wins_one_holder ON auction_wins (bidding_id) WHERE status IN ('pending', 'paid');
CREATE INDEX auction_wins_due ON auction_wins (pay_by) WHERE status = 'pending';
CREATE INDEX auction_wins_bidding ON auction_wins (bidding_id, id);

CREATE TABLE second_chance_offers (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    bidding_id bigint NOT NULL REFERENCES biddings (id),
    buyer_id   bigint NOT NULL REFERENCES users (id),
    amount     numeric(12, 2) NOT NULL CHECK (amount > 0),
    status     text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'accepted', 'declined', 'expired')),
    expires_at timestamptz NOT NULL,
    decided_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    -- Each bidder is offered an item once.
    UNIQUE (bidding_id, buyer_id)
);
CREATE UNIQUE INDEX second_chance_one_open ON second_chance_offers (bidding_id) WHERE status = 'open';

-- A cart line that is owed (a win): it must be paid by then and cannot be removed by the buyer.
ALTER TABLE cart_items ADD COLUMN pay_by timestamptz;

-- Wins closed before this migration become binding from now on, with the default time to pay; those already
-- in a paid order are paid.
INSERT INTO auction_wins (bidding_id, buyer_id, amount, kind, status, pay_by, order_id, settled_at)
SELECT b.id, b.winner_id, b.winning_amount, 'win', CASE WHEN o.id IS NULL THEN 'pending' ELSE 'paid' END,
       now() + interval '48 hours', o.id, o.paid_at
FROM biddings b
LEFT JOIN LATERAL (
    SELECT o.id, o.paid_at FROM orders o JOIN order_items i ON i.order_id = o.id
    WHERE o.buyer_id = b.winner_id AND i.ref = 'bidding:' || b.id AND o.status IN ('paid', 'shipped', 'delivered')
    LIMIT 1) o ON true
WHERE b.status = 'closed' AND b.winner_id IS NOT NULL;
UPDATE cart_items SET pay_by = now() + interval '48 hours' WHERE source = 'auction';
