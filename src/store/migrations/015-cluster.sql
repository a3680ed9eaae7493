-- Cluster mode (src/cluster): the commit point of each partition of the
-- event streams, and the detections committed with it. A partition's new
-- owner continues after `last_id` (entries up to it only rebuild windows),
-- and the unique (rule, key, at_us) makes a second commit of one firing a
-- no-op, so a takeover neither re-fires nor misses.
CREATE TABLE cluster_partitions (
  prefix     text NOT NULL,
  partition  integer NOT NULL,
  last_id    text NOT NULL DEFAULT '0-0',
  owner      text,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (prefix, partition)
);

CREATE TABLE cluster_detections (
  rule       text NOT NULL,
  key        text NOT NULL,
  at_us      bigint NOT NULL,
  value      double precision NOT NULL,
  partition  integer NOT NULL,
  entry_id   text NOT NULL,
  instance   text NOT NULL,
  -- The same firing in `detections` (GET /api/v1/detections, linked to its incident).
  detection_id bigint,
  handled_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (rule, key, at_us)
);
CREATE INDEX cluster_detections_unhandled ON cluster_detections (partition) WHERE handled_at IS NULL;

-- Token revocations are announced (LISTEN firebreak_token_revoked) so every
-- instance drops its token cache and the token's dashboard sessions at once,
-- also when the CLI revokes on the shared database.
CREATE FUNCTION firebreak_notify_token_revoked() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.revoked_at IS NOT NULL AND OLD.revoked_at IS NULL THEN
    PERFORM pg_notify('firebreak_token_revoked', NEW.id::text);
  END IF;
  RETURN NEW;
END;
$$;
CREATE TRIGGER tokens_notify_revoked AFTER UPDATE OF revoked_at ON tokens
  FOR EACH ROW EXECUTE FUNCTION firebreak_notify_token_revoked();
