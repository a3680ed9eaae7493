-- Raw events (for rebuilding rule windows after a restart, and evidence),
-- per-minute aggregates (charts), and durable positions of followed log files.
CREATE TABLE events (
  id      bigserial PRIMARY KEY,
  ts      timestamptz NOT NULL,
  type    text NOT NULL,
  ip      text,
  user_id text,
  data    jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX events_ts ON events (ts);

CREATE TABLE event_minutes (
  minute     timestamptz NOT NULL,
  type       text NOT NULL,
  events     bigint NOT NULL DEFAULT 0,
  rejected   bigint NOT NULL DEFAULT 0,
  detections bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (minute, type)
);

CREATE TABLE source_positions (
  source     text PRIMARY KEY,
  path       text NOT NULL,
  inode      text,
  position   bigint NOT NULL,
  carry      text NOT NULL DEFAULT '',
  updated_at timestamptz NOT NULL
);
