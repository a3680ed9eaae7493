-- Automated response (issue #4): decisions (bans, rate limits, locks) with
-- the change sequence the bouncer stream reads, each bouncer's cursor, the
-- allowlist, and action runs (one per deterministic action id).

-- Every insert, extension or end of a decision takes the next value of this
-- sequence while holding advisory lock 774002 until commit, so sequence order
-- is commit order: a reader that has seen N has seen everything below N.
CREATE SEQUENCE decision_changes;

CREATE TABLE decisions (
  id          bigserial PRIMARY KEY,
  scope       text NOT NULL CHECK (scope IN ('ip', 'range', 'user', 'global')),
  value       text NOT NULL,
  type        text NOT NULL,
  -- ip and range scopes only: the address or network, for "which decisions cover this address".
  net         inet,
  origin      text NOT NULL,
  reason      text NOT NULL,
  incident_id bigint REFERENCES incidents (id),
  action_id   text,
  created_at  timestamptz NOT NULL,
  created_by  text NOT NULL,
  until       timestamptz NOT NULL,
  -- Set when the decision ends: lifted by hand, expired (swept), or lifted because its address was allowlisted.
  ended_at    timestamptz,
  ended_by    text,
  end_reason  text CHECK (end_reason IN ('deleted', 'expired', 'allowlisted')),
  -- Change sequence of the last announcement (insert or extension) and of the end.
  new_seq     bigint NOT NULL,
  del_seq     bigint,
  CHECK ((scope IN ('ip', 'range')) = (net IS NOT NULL)),
  CHECK ((ended_at IS NULL) = (del_seq IS NULL))
);
-- Invariant: at most one live decision per scope, value and type; a longer
-- one extends it (re-announced with a new new_seq) instead of stacking.
CREATE UNIQUE INDEX decisions_live_key ON decisions (scope, value, type) WHERE ended_at IS NULL;
CREATE INDEX decisions_live_id ON decisions (id) WHERE ended_at IS NULL;
CREATE INDEX decisions_live_type ON decisions (type, id) WHERE ended_at IS NULL;
CREATE INDEX decisions_live_scope ON decisions (scope, id) WHERE ended_at IS NULL;
CREATE INDEX decisions_live_until ON decisions (until) WHERE ended_at IS NULL;
CREATE INDEX decisions_live_net ON decisions USING gist (net inet_ops) WHERE ended_at IS NULL;
CREATE INDEX decisions_value ON decisions (value, id);
CREATE INDEX decisions_incident ON decisions (incident_id, id) WHERE incident_id IS NOT NULL;
CREATE INDEX decisions_new_seq ON decisions (new_seq);
CREATE INDEX decisions_del_seq ON decisions (del_seq) WHERE del_seq IS NOT NULL;

-- The last change sequence each bouncer (token) has been sent.
CREATE TABLE bouncer_cursors (
  token_id     text PRIMARY KEY REFERENCES tokens (id),
  last_seq     bigint NOT NULL,
  last_pull_at timestamptz NOT NULL,
  user_agent   text
);

CREATE TABLE allowlist (
  id         bigserial PRIMARY KEY,
  cidr       text NOT NULL UNIQUE,
  note       text,
  created_at timestamptz NOT NULL,
  created_by text NOT NULL
);

-- One row per action id (incident, step, target, reopen count): running the
-- same action again returns this row instead of acting twice.
--   running → succeeded | skipped | failed | retrying;  retrying → running
CREATE TABLE action_runs (
  id              text PRIMARY KEY,
  incident_id     bigint NOT NULL REFERENCES incidents (id),
  step            text NOT NULL,
  action          text NOT NULL,
  target          text NOT NULL,
  params          jsonb NOT NULL DEFAULT '{}'::jsonb,
  reopen_count    integer NOT NULL,
  status          text NOT NULL CHECK (status IN ('running', 'retrying', 'succeeded', 'skipped', 'failed')),
  outcome         text,
  attempts        integer NOT NULL DEFAULT 0,
  max_attempts    integer NOT NULL,
  next_attempt_at timestamptz,
  last_error      text,
  result          jsonb,
  decision_id     bigint REFERENCES decisions (id),
  requested_by    text NOT NULL,
  created_at      timestamptz NOT NULL,
  updated_at      timestamptz NOT NULL,
  finished_at     timestamptz,
  seq             bigserial NOT NULL
);
CREATE INDEX action_runs_incident ON action_runs (incident_id, seq);
CREATE INDEX action_runs_offences ON action_runs (action, target, created_at) WHERE status = 'succeeded';
