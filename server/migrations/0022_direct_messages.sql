-- Direct messages between two users (optionally about an order between them), and blocks: a user who blocked
-- another receives nothing from them.

CREATE TABLE direct_messages (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sender_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    recipient_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    text         text NOT NULL CHECK (length(text) BETWEEN 1 AND 2000),
    order_id     bigint REFERENCES orders (id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    read_at      timestamptz,
    CHECK (sender_id <> recipient_id)
);
-- A thread is the pair, whoever wrote: read newest first.
CREATE INDEX direct_messages_thread ON direct_messages (LEAST(sender_id, recipient_id), GREATEST(sender_id, recipient_id), id DESC);
CREATE INDEX direct_messages_unread ON direct_messages (recipient_id, sender_id) WHERE read_at IS NULL;
CREATE INDEX direct_messages_sender ON direct_messages (sender_id, id DESC);
CREATE INDEX direct_messages_recipient ON direct_messages (recipient_id, id DESC);

CREATE TABLE user_blocks (
    blocker_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    blocked_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (blocker_id, blocked_id),
    CHECK (blocker_id <> blocked_id)
);
