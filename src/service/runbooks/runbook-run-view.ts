/**
 * The run as the API shows it (inside GET /api/v1/incidents/{id} as `run`,
 * and as the answer of the step endpoints). Times are RFC 3339 strings.
 */
import type { Queryable } from '../../store/db.ts';
import { getRun, type StoredRun } from '../../store/runbook-run-repo.ts';
import { isRunFinished, type StepStatus } from '../../domain/runbook-run.ts';
import { stepKind, type CheckKind, type StepKind } from '../../domain/runbook.ts';

export interface RunStepView {
  id: string;
  title: string;
  description?: string;
  kind: StepKind;
  state: StepStatus;
  attempts: number;
  output?: string;
  error?: string;
  command?: string;
  language?: 'bash' | 'sql';
  approval?: 'required' | 'none';
  manual?: string;
  action?: string;
  params?: Record<string, unknown>;
  approved_by?: string;
  completed_by?: string;
  note?: string;
  updated_at: string;
}

export interface RunCheckView {
  id: string;
  title: string;
  kind: CheckKind;
  /** null while unknown (not checked yet, or a manual check). */
  ok: boolean | null;
  /** Start of the current unbroken run of passing results. */
  since: string | null;
  hold_ms: number;
  last_checked_at: string | null;
}

export interface RunView {
  runbook: { type: string; title: string; auto_resolve: boolean };
  started_at: string;
  finished: boolean;
  steps: RunStepView[];
  checks: RunCheckView[];
  /** When verification last found every automated check holding (the incident was mitigated). */
  verified_at: string | null;
}

const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());

export function toRunView(run: StoredRun): RunView {
  const rb = run.state.runbook;
  return {
    runbook: { type: rb.type, title: rb.title, auto_resolve: rb.auto_resolve },
    started_at: iso(run.state.startedAtMs)!,
    finished: isRunFinished(run.state),
    steps: run.state.steps.map((st, i) => {
      const def = rb.immediate_actions[i]!;
      const v: RunStepView = {
        id: st.id,
        title: def.title,
        kind: stepKind(def),
        state: st.status,
        attempts: st.attempts,
        updated_at: iso(st.updatedAtMs)!,
      };
      if (def.description) v.description = def.description;
      if ('command' in def) Object.assign(v, { command: def.command, language: def.language, approval: def.approval });
      if ('manual' in def) v.manual = def.manual;
      if ('action' in def) {
        v.action = def.action;
        if (Object.keys(def.params).length > 0) v.params = def.params;
      }
      if (st.output !== undefined) v.output = st.output;
      if (st.error !== undefined) v.error = st.error;
      if (st.approvedBy !== undefined) v.approved_by = st.approvedBy;
      if (st.completedBy !== undefined) v.completed_by = st.completedBy;
      if (st.note !== undefined) v.note = st.note;
      return v;
    }),
    checks: run.state.checks.map((c, i) => ({
      id: c.id,
      title: rb.verification[i]!.title,
      kind: c.kind,
      ok: c.status === 'unknown' ? null : c.status === 'ok',
      since: c.status === 'ok' ? iso(c.okSinceMs) : null,
      hold_ms: c.holdMs,
      last_checked_at: iso(c.lastCheckedAtMs),
    })),
    verified_at: run.verifiedAt,
  };
}

/** The run view of an incident, or null when it has no run. */
export async function getRunView(q: Queryable, incidentId: string): Promise<RunView | null> {
  const run = await getRun(q, incidentId);
  return run ? toRunView(run) : null;
}
