-- Accounts: users, seller profiles, the credit ledger and refresh tokens.

CREATE TABLE users (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username      text NOT NULL,
    email         text NOT NULL,
    password_hash text NOT NULL,
    role          text NOT NULL CHECK (role IN ('buyer', 'seller', 'admin')),
    phone         text,
    avatar        text,
    bio           text NOT NULL DEFAULT '',
    is_active     boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
-- Names and addresses are unique whatever their case: "Alice" cannot sign up beside "alice".
CREATE UNIQUE INDEX users_username_key ON users (lower(username));
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
-- Prefix search on names (?search=) without a sequential scan.
CREATE INDEX users_username_prefix ON users (lower(username) text_pattern_ops);

CREATE TABLE sellers (
    user_id       bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    business_name text NOT NULL,
    gstin         text,
    verified      boolean NOT NULL DEFAULT false,
    verified_at   timestamptz,
    verified_by   bigint REFERENCES users (id),
    -- The running balance of credit_ledger, changed only together with a ledger row.
    credits       integer NOT NULL DEFAULT 0 CHECK (credits >= 0)
);

-- Every change of a seller's credits. (seller, reason, ref) is unique, so the same
-- cause (a verification, a payment id, a live block) can change the balance only once.
CREATE TABLE credit_ledger (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    seller_id  bigint NOT NULL REFERENCES sellers (user_id) ON DELETE CASCADE,
    delta      integer NOT NULL CHECK (delta <> 0),
    reason     text NOT NULL,
    ref        text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (seller_id, reason, ref)
);

-- Refresh tokens rotate: each use marks the row used and issues a new one in the same
-- family. A used token presented again means it leaked, and the whole family is revoked.
CREATE TABLE refresh_tokens (
    jti        uuid PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    family     uuid NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    revoked_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);
CREATE INDEX refresh_tokens_expires ON refresh_tokens (expires_at);
