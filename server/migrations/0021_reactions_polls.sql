-- Reactions and polls in a show. A show keeps the total of its reactions (the post-show report); a poll's
-- votes are rows (one per user: the primary key), counted when the room hears the counts and when it closes.

ALTER TABLE livestreams ADD COLUMN reactions_count bigint NOT NULL DEFAULT 0;

CREATE TABLE polls (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    livestream_id bigint NOT NULL REFERENCES livestreams (id) ON DELETE CASCADE,
    created_by    bigint NOT NULL REFERENCES users (id),
    question      text NOT NULL CHECK (length(question) BETWEEN 1 AND 300),
    options       text[] NOT NULL CHECK (cardinality(options) BETWEEN 2 AND 4),
    status        text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    ends_at       timestamptz NOT NULL,
    closed_at     timestamptz,
    -- The final counts, one per option, stored when it closes.
    counts        integer[],
    created_at    timestamptz NOT NULL DEFAULT now()
);
-- One poll open at a time in a show.
CREATE UNIQUE INDEX polls_one_open ON polls (livestream_id) WHERE status = 'open';
CREATE INDEX polls_due ON polls (ends_at) WHERE status = 'open';

CREATE TABLE poll_votes (
    poll_id    bigint NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    option     smallint NOT NULL CHECK (option >= 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (poll_id, user_id)
);
CREATE INDEX poll_votes_option ON poll_votes (poll_id, option);
