-- Live shows: streams, their products, chat and its moderation.

CREATE TABLE livestreams (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    seller_id         bigint NOT NULL REFERENCES sellers (user_id),
    title             text NOT NULL,
    description       text NOT NULL DEFAULT '',
    status            text NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'live', 'ended')),
    scheduled_at      timestamptz,
    started_at        timestamptz,
    ended_at          timestamptz,
    ended_reason      text,
    pinned_product_id bigint REFERENCES products (id),
    -- Chat settings, changed by the owner and moderators.
    slow_mode_s       integer NOT NULL DEFAULT 0 CHECK (slow_mode_s BETWEEN 0 AND 3600),
    blocked_words     text[] NOT NULL DEFAULT '{}',
    pinned_message    text,
    peak_viewers      integer NOT NULL DEFAULT 0,
    created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX livestreams_status ON livestreams (status, scheduled_at, id);
CREATE INDEX livestreams_seller ON livestreams (seller_id, id DESC);
-- A seller is live in one show at a time.
CREATE UNIQUE INDEX livestreams_one_live_per_seller ON livestreams (seller_id) WHERE status = 'live';

CREATE TABLE livestream_products (
    livestream_id bigint NOT NULL REFERENCES livestreams (id) ON DELETE CASCADE,
    product_id    bigint NOT NULL REFERENCES products (id),
    position      integer NOT NULL DEFAULT 0,
    PRIMARY KEY (livestream_id, product_id)
);

CREATE TABLE chat_messages (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    livestream_id bigint NOT NULL REFERENCES livestreams (id) ON DELETE CASCADE,
    user_id       bigint NOT NULL REFERENCES users (id),
    text          text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    deleted_at    timestamptz,
    deleted_by    bigint REFERENCES users (id)
);
CREATE INDEX chat_messages_stream ON chat_messages (livestream_id, id DESC);

CREATE TABLE livestream_moderators (
    livestream_id bigint NOT NULL REFERENCES livestreams (id) ON DELETE CASCADE,
    user_id       bigint NOT NULL REFERENCES users (id),
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (livestream_id, user_id)
);

-- A ban for the stream (until NULL) or a timed mute (until set).
CREATE TABLE livestream_bans (
    livestream_id bigint NOT NULL REFERENCES livestreams (id) ON DELETE CASCADE,
    user_id       bigint NOT NULL REFERENCES users (id),
    until         timestamptz,
    created_by    bigint NOT NULL REFERENCES users (id),
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (livestream_id, user_id)
);
