-- Room events that report a decision of the database are written in the deciding transaction and published
-- from here in commit order. room_heads numbers each room's rows: the row lock taken to add one is held to
-- commit, so positions are given in commit order, without holes. A row is deleted once published.

CREATE TABLE room_heads (
    room text PRIMARY KEY,
    pos  bigint NOT NULL
);

CREATE TABLE room_outbox (
    room       text NOT NULL,
    pos        bigint NOT NULL,
    payload    bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (room, pos)
);
CREATE INDEX room_outbox_created ON room_outbox (created_at);
