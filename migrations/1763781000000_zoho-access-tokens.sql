-- Up Migration

-- The ZOHO access token shared by every worker: ZOHO issues at most 10 access tokens per refresh token per
-- 10 minutes, so workers reuse one token until shortly before it expires and refresh it one at a time (row lock).
-- credential_id is a hash of the OAuth client and refresh token, never the token itself.
CREATE TABLE zoho_access_tokens (
  credential_id    text PRIMARY KEY,
  access_token_enc bytea,
  token_key_id     text,
  expires_at       timestamptz,
  refreshed_at     timestamptz,
  refresh_count    integer NOT NULL DEFAULT 0
);

-- Down Migration
DROP TABLE zoho_access_tokens;
