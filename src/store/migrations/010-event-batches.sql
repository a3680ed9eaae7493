-- Raw events stored in batches (one row per group commit, a JSON array of
-- events) instead of a row per event: ingestion at full speed (issue #13), and
-- the same events for rebuilding rule windows and for verification checks.
-- `types` lists the event types inside, so readers skip batches without theirs.
CREATE TABLE event_batches (
  id     bigserial PRIMARY KEY,
  ts_min timestamptz NOT NULL,
  ts_max timestamptz NOT NULL,
  n      integer NOT NULL,
  types  text[] NOT NULL,
  data   text NOT NULL
);
CREATE INDEX event_batches_ts_max ON event_batches (ts_max);

-- Events stored by earlier versions move into batches of 1,000 (in time order).
INSERT INTO event_batches (ts_min, ts_max, n, types, data)
SELECT min(ts), max(ts), count(*), array_agg(DISTINCT type),
       json_agg(ev ORDER BY ts, id)::text
FROM (
  SELECT id, ts, type, (row_number() OVER (ORDER BY ts, id) - 1) / 1000 AS part,
         data || jsonb_strip_nulls(jsonb_build_object('type', type, 'tsUs', (extract(epoch FROM ts) * 1000000)::bigint,
                                                      'ip', ip, 'user_id', user_id)) AS ev
  FROM events
) e
GROUP BY part;
DROP TABLE events;

-- Every rule firing, recorded before it is handled: a durable intent, retried
-- until its incident and actions exist (handled_at set), listed by the API.
CREATE TABLE detections (
  id          bigserial PRIMARY KEY,
  rule        text NOT NULL,
  key         text NOT NULL,
  at          timestamptz NOT NULL,
  at_us       bigint NOT NULL,
  value       double precision NOT NULL,
  incident_id bigint,
  handled_at  timestamptz,
  attempts    integer NOT NULL DEFAULT 0,
  last_error  text
);
CREATE INDEX detections_at ON detections (at DESC, id DESC);
CREATE INDEX detections_rule_key ON detections (rule, key, at_us);
CREATE INDEX detections_unhandled ON detections (id) WHERE handled_at IS NULL;

-- Events (or whole requests) that could not be stored as they are: kept here
-- instead of blocking the pipeline (issue #17), for an administrator to look at.
CREATE TABLE dead_letters (
  id        bigserial PRIMARY KEY,
  at        timestamptz NOT NULL,
  source    text NOT NULL,
  error     text NOT NULL,
  n         integer NOT NULL DEFAULT 1,
  sample    text NOT NULL
);
