-- Notifications written inside another change's transaction are pushed after it commits.

ALTER TABLE notifications ADD COLUMN pushed_at timestamptz;
UPDATE notifications SET pushed_at = created_at;
CREATE INDEX notifications_unpushed ON notifications (id) WHERE pushed_at IS NULL;
