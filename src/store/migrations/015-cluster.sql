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
  handled_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (rule, key, at_us)
);
CREATE INDEX cluster_detections_unhandled ON cluster_detections (partition) WHERE handled_at IS NULL;
