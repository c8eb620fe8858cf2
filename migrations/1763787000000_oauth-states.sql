-- Up Migration

-- OAuth `state` values handed out when an install begins (CSRF protection of the callback): stored as a hash,
-- used once (deleted when the callback presents it), valid for a few minutes.
CREATE TABLE oauth_states (
  state_hash  text PRIMARY KEY,
  provider    text NOT NULL,
  user_type   text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL
);
CREATE INDEX oauth_states_expires ON oauth_states (expires_at);

-- Down Migration
DROP TABLE oauth_states;
