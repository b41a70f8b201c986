-- Credit metering state of live shows, and users' notifications.

ALTER TABLE livestreams ADD COLUMN credit_warned_at timestamptz;

CREATE TABLE notifications (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    type       text NOT NULL,
    text       text NOT NULL,
    actor_id   bigint REFERENCES users (id) ON DELETE SET NULL,
    data       jsonb NOT NULL DEFAULT '{}',
    read       boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notifications_user ON notifications (user_id, id DESC);
CREATE INDEX notifications_unread ON notifications (user_id) WHERE NOT read;
