-- Escalation and notification (issue #6): per-incident escalation state with
-- its frozen policy, the notification outbox, schedule overrides, settings
-- (the ack-link secret), used ack-link nonces, and integrations (Alertmanager,
-- PagerDuty Events v2) with the alerts they track.
--
-- Levels are 1-based in every table, as humans and the runbook count them.

-- One row per incident that ever escalated. `epoch` is the incident's
-- reopen_count when this run started: a re-open starts a new run (epoch + 1),
-- which is how a restart at level 1 is told apart from the previous run.
CREATE TABLE incident_escalations (
  incident_id bigint PRIMARY KEY REFERENCES incidents (id),
  epoch       integer NOT NULL,
  policy      jsonb NOT NULL,
  level       integer NOT NULL CHECK (level >= 1),
  cycle       integer NOT NULL CHECK (cycle >= 0),
  next_at     timestamptz,
  stopped     boolean NOT NULL DEFAULT false,
  started_at  timestamptz NOT NULL,
  updated_at  timestamptz NOT NULL,
  CHECK (NOT stopped OR next_at IS NULL)
);

-- The outbox: one row per (step, target, channel), written in the same
-- transaction as the escalation step; delivered through `notify` timers.
--   pending → sending → sent | failed   (sending → pending again to retry)
--   pending → cancelled                 (the incident was acknowledged or resolved first)
CREATE TABLE notifications (
  id              bigserial PRIMARY KEY,
  incident_id     bigint NOT NULL REFERENCES incidents (id),
  epoch           integer NOT NULL,
  level           integer NOT NULL,
  cycle           integer NOT NULL,
  target          text NOT NULL,
  channel         text NOT NULL,
  recipient       text,
  kind            text NOT NULL,
  status          text NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'cancelled')),
  attempts        integer NOT NULL DEFAULT 0,
  last_error      text,
  last_attempt_at timestamptz,
  last_attempt_ok boolean,
  claim_id        text,
  send_started_at timestamptz,
  ack_nonce       text UNIQUE,
  created_at      timestamptz NOT NULL,
  updated_at      timestamptz NOT NULL,
  sent_at         timestamptz,
  UNIQUE (incident_id, epoch, level, cycle, target, channel)
);
CREATE INDEX notifications_incident ON notifications (incident_id, id);
CREATE INDEX notifications_channel_attempt ON notifications (channel, last_attempt_at) WHERE last_attempt_at IS NOT NULL;

CREATE TABLE schedule_overrides (
  id         text PRIMARY KEY,
  schedule   text NOT NULL,
  person     text NOT NULL,
  start_at   timestamptz NOT NULL,
  end_at     timestamptz NOT NULL,
  created_at timestamptz NOT NULL,
  created_by text NOT NULL,
  CHECK (end_at > start_at)
);
CREATE INDEX schedule_overrides_schedule ON schedule_overrides (schedule, end_at);

-- Server-wide values generated once (the ack-link signing secret).
CREATE TABLE settings (
  key        text PRIMARY KEY,
  value      text NOT NULL,
  created_at timestamptz NOT NULL
);

-- Used ack-link nonces: the primary key makes every link single-use. Rows may
-- be purged once expires_at has passed (expired links are refused anyway).
CREATE TABLE ack_nonces (
  nonce       text PRIMARY KEY,
  incident_id bigint NOT NULL REFERENCES incidents (id),
  used_at     timestamptz NOT NULL,
  expires_at  timestamptz NOT NULL,
  used_by     text NOT NULL
);

CREATE TABLE integrations (
  id               text PRIMARY KEY,
  name             text NOT NULL,
  type             text NOT NULL CHECK (type IN ('alertmanager', 'pagerduty')),
  key_hash         text NOT NULL UNIQUE,
  key_prefix       text NOT NULL,
  default_severity text NOT NULL CHECK (default_severity IN ('critical', 'high', 'medium', 'low')),
  severity_map     jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at       timestamptz NOT NULL,
  created_by       text NOT NULL,
  last_used_at     timestamptz,
  revoked_at       timestamptz
);
CREATE UNIQUE INDEX integrations_name_active ON integrations (name) WHERE revoked_at IS NULL;

-- The incident type chosen the first time an external key was seen, so later
-- events for the same key (an Alertmanager group, a PagerDuty dedup_key) land
-- on the same incident even when their labels change.
CREATE TABLE integration_keys (
  dedup_key      text PRIMARY KEY,
  integration_id text NOT NULL REFERENCES integrations (id),
  incident_type  text NOT NULL,
  created_at     timestamptz NOT NULL
);

-- Alertmanager alerts per group (dedup_key) and fingerprint.
CREATE TABLE integration_alerts (
  dedup_key   text NOT NULL,
  fingerprint text NOT NULL,
  status      text NOT NULL CHECK (status IN ('firing', 'resolved')),
  incident_id bigint REFERENCES incidents (id),
  labels      jsonb NOT NULL DEFAULT '{}'::jsonb,
  annotations jsonb NOT NULL DEFAULT '{}'::jsonb,
  starts_at   timestamptz,
  ends_at     timestamptz,
  updated_at  timestamptz NOT NULL,
  PRIMARY KEY (dedup_key, fingerprint)
);
