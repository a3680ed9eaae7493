-- Foundation: tokens, audit, incidents with their append-only timeline, durable timers.
CREATE TABLE tokens (
  id           text PRIMARY KEY,
  name         text NOT NULL,
  role         text NOT NULL CHECK (role IN ('admin', 'responder', 'viewer', 'ingest', 'bouncer')),
  hash         text NOT NULL UNIQUE,
  prefix       text NOT NULL,
  created_at   timestamptz NOT NULL,
  created_by   text NOT NULL,
  last_used_at timestamptz,
  revoked_at   timestamptz
);

CREATE TABLE audit_log (
  id      bigserial PRIMARY KEY,
  at      timestamptz NOT NULL,
  actor   text NOT NULL,
  action  text NOT NULL,
  target  text,
  ip      text,
  details jsonb
);
CREATE INDEX audit_log_at ON audit_log (at);

CREATE SEQUENCE incident_ids;
CREATE TABLE incidents (
  id               bigint PRIMARY KEY DEFAULT nextval('incident_ids'),
  type             text NOT NULL,
  severity         text NOT NULL CHECK (severity IN ('critical', 'high', 'medium', 'low')),
  status           text NOT NULL CHECK (status IN ('triggered', 'acknowledged', 'resolved')),
  title            text NOT NULL,
  description      text,
  dedup_key        text,
  source           text NOT NULL DEFAULT 'api',
  created_by       text NOT NULL,
  created_at       timestamptz NOT NULL,
  updated_at       timestamptz NOT NULL,
  detected_at      timestamptz NOT NULL,
  ack_deadline     timestamptz NOT NULL,
  acknowledged_at  timestamptz,
  acknowledged_by  text,
  mitigated_at     timestamptz,
  resolved_at      timestamptz,
  resolved_by      text,
  sla_breached_at  timestamptz,
  reopen_count     integer NOT NULL DEFAULT 0,
  detection_count  integer NOT NULL DEFAULT 1,
  attrs            jsonb NOT NULL DEFAULT '{}'::jsonb
);
-- Deduplication is enforced by the database: one open incident per type and key.
CREATE UNIQUE INDEX incidents_open_dedup ON incidents (type, dedup_key) WHERE status <> 'resolved' AND dedup_key IS NOT NULL;
CREATE INDEX incidents_status ON incidents (status, id);
CREATE INDEX incidents_type_key ON incidents (type, dedup_key, id);

CREATE TABLE incident_timeline (
  id          bigserial PRIMARY KEY,
  incident_id bigint NOT NULL REFERENCES incidents (id),
  at          timestamptz NOT NULL,
  kind        text NOT NULL,
  actor       text NOT NULL,
  message     text NOT NULL,
  data        jsonb
);
CREATE INDEX incident_timeline_incident ON incident_timeline (incident_id, id);

-- Durable timers, claimed with FOR UPDATE SKIP LOCKED so each fires exactly once.
CREATE TABLE timers (
  id         bigserial PRIMARY KEY,
  kind       text NOT NULL,
  ref        text NOT NULL,
  due_at     timestamptz NOT NULL,
  payload    jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL,
  fired_at   timestamptz,
  attempts   integer NOT NULL DEFAULT 0,
  last_error text
);
CREATE INDEX timers_due ON timers (due_at) WHERE fired_at IS NULL;
CREATE UNIQUE INDEX timers_kind_ref_pending ON timers (kind, ref) WHERE fired_at IS NULL;
