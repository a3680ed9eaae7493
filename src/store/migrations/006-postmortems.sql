-- After the incident (issue #8): one post-mortem per incident, drafted when it
-- resolves (re-drafted on a later resolution), and follow-up action items.

-- `facts` holds what Firebreak generated from the incident at draft time (the
-- copied timeline, detections, actions, escalations, responders, TTA/TTR, SLA
-- breaches, the generated summary); the text columns are what people write.
-- `version` goes up by one on every change (optimistic concurrency for editors).
CREATE TABLE postmortems (
  id               bigserial PRIMARY KEY,
  incident_id      bigint NOT NULL UNIQUE REFERENCES incidents (id),
  status           text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'in_review', 'published')),
  title            text NOT NULL,
  summary          text NOT NULL,
  body             text NOT NULL DEFAULT '',
  root_cause       text NOT NULL DEFAULT '',
  went_well        text NOT NULL DEFAULT '',
  went_badly       text NOT NULL DEFAULT '',
  lessons          text NOT NULL DEFAULT '',
  facts            jsonb NOT NULL,
  resolved_at      timestamptz NOT NULL,
  due_at           timestamptz NOT NULL,
  reminders        integer NOT NULL DEFAULT 0,
  last_reminded_at timestamptz,
  drafted_at       timestamptz NOT NULL,
  created_at       timestamptz NOT NULL,
  updated_at       timestamptz NOT NULL,
  updated_by       text,
  published_at     timestamptz,
  version          integer NOT NULL DEFAULT 1
);
CREATE INDEX postmortems_due ON postmortems (due_at) WHERE status <> 'published';

--   open → done | dropped;  done | dropped → open (re-opened by hand)
CREATE TABLE action_items (
  id               bigserial PRIMARY KEY,
  title            text NOT NULL,
  description      text NOT NULL DEFAULT '',
  owner            text,
  due_at           timestamptz,
  status           text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'dropped')),
  source           text NOT NULL CHECK (source IN ('incident', 'postmortem')),
  incident_id      bigint NOT NULL REFERENCES incidents (id),
  postmortem_id    bigint REFERENCES postmortems (id),
  kind             text NOT NULL DEFAULT 'task' CHECK (kind IN ('task', 'runbook_update')),
  -- The runbook file a runbook_update asks to change, e.g. runbooks/03-brute-force-attempt.yaml.
  runbook_file     text,
  reminders        integer NOT NULL DEFAULT 0,
  last_reminded_at timestamptz,
  created_at       timestamptz NOT NULL,
  created_by       text NOT NULL,
  updated_at       timestamptz NOT NULL,
  updated_by       text,
  closed_at        timestamptz,
  CHECK ((kind = 'runbook_update') = (runbook_file IS NOT NULL)),
  CHECK ((source = 'postmortem') = (postmortem_id IS NOT NULL)),
  CHECK ((status = 'open') = (closed_at IS NULL))
);
CREATE INDEX action_items_open_due ON action_items (due_at) WHERE status = 'open';
CREATE INDEX action_items_incident ON action_items (incident_id, id);
CREATE INDEX action_items_postmortem ON action_items (postmortem_id, id) WHERE postmortem_id IS NOT NULL;
