-- Video categories as the shoppable-videos app shows them: an emoji (what `icon` held until now), an
-- uploaded icon image, a display order, and whether the category is listed at all.
ALTER TABLE video_categories RENAME COLUMN icon TO emoji;
ALTER TABLE video_categories ADD COLUMN icon text;
ALTER TABLE video_categories ADD COLUMN sort_order integer NOT NULL DEFAULT 0;
ALTER TABLE video_categories ADD COLUMN is_active boolean NOT NULL DEFAULT true;
CREATE INDEX video_categories_listed ON video_categories (sort_order, lower(name)) WHERE is_active;
