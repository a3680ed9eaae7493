-- Dashboard sessions (src/http/session-auth.ts), shared by every instance of
-- a cluster and kept across restarts. The session id is stored only as its
-- SHA-256 hash: whoever reads the table (or a backup of it) cannot sign in.
-- A session belongs to the token it was made from: revoking the token
-- deletes its sessions (store/token-repo.ts), and the lookup also refuses a
-- session whose token is revoked, so no instance can keep serving one.
-- `seq` orders a token's sessions (oldest first) when it exceeds its cap,
-- even when several were made in the same millisecond.
CREATE TABLE dashboard_sessions (
  id_hash    text PRIMARY KEY,
  seq        bigserial NOT NULL,
  token_id   text NOT NULL REFERENCES tokens (id) ON DELETE CASCADE,
  role       text NOT NULL,
  name       text NOT NULL,
  csrf       text NOT NULL,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL
);
CREATE INDEX dashboard_sessions_by_token ON dashboard_sessions (token_id, seq);
CREATE INDEX dashboard_sessions_by_expiry ON dashboard_sessions (expires_at);
