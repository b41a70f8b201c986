-- A show's run sheet: auctions attached to a scheduled show before it starts (status 'scheduled', no end
-- yet, run in `position` order), and the pre-bids buyers place on them, applied in order when one starts.

ALTER TABLE biddings DROP CONSTRAINT biddings_status_check;
ALTER TABLE biddings ADD CONSTRAINT biddings_status_check CHECK (status IN ('scheduled', 'open', 'closed'));
ALTER TABLE biddings ALTER COLUMN ends_at DROP NOT NULL;
ALTER TABLE biddings ADD CONSTRAINT biddings_end_once_started CHECK (status = 'scheduled' OR ends_at IS NOT NULL);
ALTER TABLE biddings ADD COLUMN duration_s integer CHECK (duration_s > 0);
ALTER TABLE biddings ADD COLUMN position integer NOT NULL DEFAULT 0;
CREATE INDEX biddings_run_sheet ON biddings (livestream_id, position, id);

CREATE TABLE prebids (
    bidding_id bigint NOT NULL REFERENCES biddings (id),
    bidder_id  bigint NOT NULL REFERENCES users (id),
    amount     numeric(12, 2),
    max_amount numeric(12, 2) NOT NULL,
    -- When it was placed (or last changed): pre-bids apply in this order, so the earlier equal maximum leads.
    placed_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (bidding_id, bidder_id)
);
