-- The post-show report: the viewer count sampled while a show is live (one process per show and interval),
-- the distinct signed-in viewers, and an index that finds the order items a show sold by their ref.

CREATE TABLE show_samples (
    livestream_id  bigint NOT NULL REFERENCES livestreams (id) ON DELETE CASCADE,
    at             timestamptz NOT NULL DEFAULT now(),
    viewers        integer NOT NULL CHECK (viewers >= 0),
    PRIMARY KEY (livestream_id, at)
);
-- Distinct signed-in users who joined the show's room (anonymous viewers count in viewers, not here).
ALTER TABLE livestreams ADD COLUMN unique_viewers integer NOT NULL DEFAULT 0;
CREATE INDEX order_items_ref ON order_items (ref) WHERE ref <> '';
