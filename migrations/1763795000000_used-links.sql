-- Up Migration
-- Signed links that act once (an incident notice's acknowledge link) are recorded here when used, so a second
-- submission of the same link changes nothing (docs/security.md, "Signed links"). `id` is the link's nonce.
CREATE TABLE used_links (
  id text PRIMARY KEY,
  purpose text NOT NULL,
  subject_id text NOT NULL,
  used_by text NOT NULL,
  used_at timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE used_links;
