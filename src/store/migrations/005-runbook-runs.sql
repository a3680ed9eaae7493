-- Runbook runs: one per incident, the runbook frozen as it was when the run
-- started (a later edit of the file never changes a run in progress), the
-- run state of src/domain/runbook-run.ts, the execution leases of running
-- steps, and the verification sequence (stale `verify` timers are ignored).
CREATE TABLE runbook_runs (
  incident_id bigint PRIMARY KEY REFERENCES incidents (id),
  type        text NOT NULL,
  runbook     jsonb NOT NULL,
  state       jsonb NOT NULL,
  leases      jsonb NOT NULL DEFAULT '{}'::jsonb,
  verify_seq  integer NOT NULL DEFAULT 0,
  verified_at timestamptz,
  created_at  timestamptz NOT NULL,
  updated_at  timestamptz NOT NULL
);
