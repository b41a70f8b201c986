-- Reels and social: video categories, creator profiles, shoppable videos and their engagement,
-- comments, reports, follows, friends, wishlists and swipes.

CREATE TABLE video_categories (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL,
    slug        text NOT NULL UNIQUE,
    description text NOT NULL DEFAULT '',
    icon        text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX video_categories_name_key ON video_categories (lower(name));

-- A user's public face in the reels app; created on first need (an upload, a follow, an edit).
-- The counters change only by atomic increments in the same transaction as their cause.
CREATE TABLE creator_profiles (
    user_id         bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    handle          text NOT NULL,
    display_name    text NOT NULL,
    avatar          text,
    bio             text NOT NULL DEFAULT '',
    social_links    jsonb NOT NULL DEFAULT '{}',
    followers_count integer NOT NULL DEFAULT 0 CHECK (followers_count >= 0),
    following_count integer NOT NULL DEFAULT 0 CHECK (following_count >= 0),
    posts_count     integer NOT NULL DEFAULT 0 CHECK (posts_count >= 0),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX creator_profiles_handle_key ON creator_profiles (lower(handle));
CREATE INDEX creator_profiles_search_trgm ON creator_profiles
    USING gin ((lower(handle || ' ' || display_name)) gin_trgm_ops);

CREATE TABLE videos (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    creator_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    category_id    bigint REFERENCES video_categories (id) ON DELETE SET NULL,
    content_type   text NOT NULL CHECK (content_type IN ('VIDEO', 'IMAGE', 'COLLECTION')),
    title          text NOT NULL,
    description    text NOT NULL DEFAULT '',
    video_file     text,
    image_file     text,
    product_id     bigint REFERENCES products (id) ON DELETE SET NULL,
    tags           text[] NOT NULL DEFAULT '{}',
    likes_count    integer NOT NULL DEFAULT 0 CHECK (likes_count >= 0),
    views_count    bigint NOT NULL DEFAULT 0 CHECK (views_count >= 0),
    shares_count   integer NOT NULL DEFAULT 0 CHECK (shares_count >= 0),
    saves_count    integer NOT NULL DEFAULT 0 CHECK (saves_count >= 0),
    comments_count integer NOT NULL DEFAULT 0 CHECK (comments_count >= 0),
    -- Engagement over the recent window, recomputed by a background task (not money: a float is fine).
    trend_score    double precision NOT NULL DEFAULT 0,
    -- active: in feeds; hidden: enough open reports, pending an admin's review; removed: by an admin.
    status         text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'hidden', 'removed')),
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX videos_recent ON videos (created_at DESC, id DESC) WHERE status = 'active';
CREATE INDEX videos_trending ON videos (trend_score DESC, id DESC) WHERE status = 'active';
CREATE INDEX videos_category ON videos (category_id, created_at DESC) WHERE status = 'active';
CREATE INDEX videos_creator ON videos (creator_id, created_at DESC);
CREATE INDEX videos_tags ON videos USING gin (tags) WHERE status = 'active';

-- Products shown beside a video besides its primary one.
CREATE TABLE video_products (
    video_id   bigint NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
    product_id bigint NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    position   integer NOT NULL,
    PRIMARY KEY (video_id, product_id)
);

-- The slides of a COLLECTION.
CREATE TABLE video_items (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    video_id   bigint NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
    position   integer NOT NULL,
    image_file text,
    video_file text,
    product_id bigint REFERENCES products (id) ON DELETE SET NULL,
    caption    text NOT NULL DEFAULT '',
    UNIQUE (video_id, position)
);

CREATE TABLE video_likes (
    video_id   bigint NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (video_id, user_id)
);
CREATE INDEX video_likes_user ON video_likes (user_id, created_at DESC);
CREATE INDEX video_likes_week ON video_likes (created_at);

-- Likes per video per ISO week ("2026-W48"): the truth the Redis leaderboard is rebuilt from.
CREATE TABLE video_week_likes (
    week     text NOT NULL,
    video_id bigint NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
    likes    integer NOT NULL DEFAULT 0 CHECK (likes >= 0),
    PRIMARY KEY (week, video_id)
);

CREATE TABLE video_saves (
    video_id   bigint NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (video_id, user_id)
);
CREATE INDEX video_saves_user ON video_saves (user_id, created_at DESC);

-- Every engagement signal (view, like, save, share, watch_time, cta_click, scroll_pause, add_to_cart):
-- what the interest profile, trending and also-watched are computed from.
CREATE TABLE video_interactions (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    bigint REFERENCES users (id) ON DELETE CASCADE,
    video_id   bigint NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
    event_type text NOT NULL,
    dwell_ms   integer NOT NULL DEFAULT 0 CHECK (dwell_ms >= 0),
    extra      jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX video_interactions_user ON video_interactions (user_id, created_at DESC);
CREATE INDEX video_interactions_video ON video_interactions (video_id, user_id);
CREATE INDEX video_interactions_recent ON video_interactions (created_at);

CREATE TABLE video_comments (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    video_id   bigint NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    parent_id  bigint REFERENCES video_comments (id) ON DELETE CASCADE,
    text       text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX video_comments_video ON video_comments (video_id, id) WHERE parent_id IS NULL;
CREATE INDEX video_comments_parent ON video_comments (parent_id, id);

-- One report per user and video; open reports past the threshold hide the video until reviewed.
CREATE TABLE video_reports (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    video_id    bigint NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
    reporter_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    reason      text NOT NULL CHECK (reason IN ('spam', 'inappropriate', 'harassment', 'misleading', 'other')),
    description text NOT NULL DEFAULT '',
    status      text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'dismissed', 'actioned')),
    reviewed_by bigint REFERENCES users (id) ON DELETE SET NULL,
    reviewed_at timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (video_id, reporter_id)
);
CREATE INDEX video_reports_open ON video_reports (video_id) WHERE status = 'open';

CREATE TABLE follows (
    follower_id  bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    following_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (follower_id, following_id),
    CHECK (follower_id <> following_id)
);
CREATE INDEX follows_following ON follows (following_id, created_at DESC);

CREATE TABLE friend_requests (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sender_id   bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    receiver_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status      text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'rejected')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    decided_at  timestamptz,
    CHECK (sender_id <> receiver_id)
);
-- At most one pending request between two people, whichever way it was sent.
CREATE UNIQUE INDEX friend_requests_pending ON friend_requests
    (LEAST(sender_id, receiver_id), GREATEST(sender_id, receiver_id)) WHERE status = 'pending';
CREATE INDEX friend_requests_receiver ON friend_requests (receiver_id, id DESC);

-- Both directions of a friendship, so "my friends" is one index range.
CREATE TABLE friendships (
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    friend_id  bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, friend_id)
);

CREATE TABLE wishlists (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    owner_id   bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name       text NOT NULL,
    occasion   text NOT NULL CHECK (occasion IN ('birthday', 'anniversary', 'festival', 'wedding', 'baby_shower',
                                                 'housewarming', 'other')),
    event_date date,
    is_default boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX wishlists_owner ON wishlists (owner_id, id);
-- One default list (where swipes right land) per user, created on first need.
CREATE UNIQUE INDEX wishlists_default ON wishlists (owner_id) WHERE is_default;

CREATE TABLE wishlist_items (
    wishlist_id bigint NOT NULL REFERENCES wishlists (id) ON DELETE CASCADE,
    product_id  bigint NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    note        text NOT NULL DEFAULT '',
    added_by    bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (wishlist_id, product_id)
);

CREATE TABLE wishlist_shares (
    wishlist_id bigint NOT NULL REFERENCES wishlists (id) ON DELETE CASCADE,
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    can_edit    boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (wishlist_id, user_id)
);
CREATE INDEX wishlist_shares_user ON wishlist_shares (user_id);

CREATE TABLE swipes (
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    product_id bigint NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    direction  text NOT NULL CHECK (direction IN ('left', 'right')),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, product_id)
);
