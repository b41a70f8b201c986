-- Finding shows and being reminded of them: search over titles and sellers, the viewers a live show has now
-- (for ordering lists), and reminders that send `show_starting_soon` once per user and show.

CREATE INDEX livestreams_search_trgm ON livestreams USING gin ((lower(title || ' ' || description)) gin_trgm_ops);
-- The last total a process published for a live show (the presence loop keeps it), for `ordering=-viewers`.
ALTER TABLE livestreams ADD COLUMN viewers integer NOT NULL DEFAULT 0;
ALTER TABLE livestreams ADD COLUMN reminders_count integer NOT NULL DEFAULT 0 CHECK (reminders_count >= 0);

CREATE TABLE show_reminders (
    livestream_id bigint NOT NULL REFERENCES livestreams (id) ON DELETE CASCADE,
    user_id       bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    -- When `show_starting_soon` was stored for this user: set once, by whichever process gets there first.
    reminded_at   timestamptz,
    PRIMARY KEY (livestream_id, user_id)
);
CREATE INDEX show_reminders_user ON show_reminders (user_id, livestream_id);
CREATE INDEX show_reminders_pending ON show_reminders (livestream_id) WHERE reminded_at IS NULL;
CREATE INDEX livestreams_upcoming ON livestreams (scheduled_at) WHERE status = 'scheduled';

-- The show a raid sent this one's viewers to (a show ends with its raid: one per show).
ALTER TABLE livestreams ADD COLUMN raided_to bigint REFERENCES livestreams (id);
