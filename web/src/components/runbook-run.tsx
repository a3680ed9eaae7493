import { useId, useState } from 'react';
import { api, errorText } from '../api.ts';
import { humanize } from '../format.ts';
import type { Run, RunCheck, RunStep, StepState } from '../types.ts';
import { StateBadge } from './badges.tsx';
import { ConfirmButton } from './confirm-button.tsx';

interface ViewStep {
  id: string;
  title: string;
  kind: 'action' | 'command' | 'manual';
  state: StepState;
  output?: string;
  error?: string;
  command?: string;
  manual?: string;
  description?: string;
  action?: string;
  by?: string;
}

/** Accepts `state` or the domain's `status`, and fills titles and texts from the run's runbook copy when the steps lack them. */
export function normalizeSteps(run: Run): ViewStep[] {
  const defs = new Map((run.runbook?.immediate_actions ?? []).map((d) => [d.id, d]));
  return (run.steps ?? []).map((s: RunStep) => {
    const d = defs.get(s.id) ?? {};
    const command = s.command ?? d.command;
    const manual = s.manual ?? d.manual;
    return {
      id: s.id,
      title: s.title ?? d.title ?? humanize(s.id),
      kind: s.kind ?? (command ? 'command' : manual ? 'manual' : 'action'),
      state: s.state ?? s.status ?? 'pending',
      output: s.output,
      error: s.error,
      command,
      manual,
      description: s.description ?? d.description,
      action: s.action ?? d.action,
      by: s.completed_by ?? s.approved_by,
    };
  });
}

function normalizeChecks(run: Run): { id: string; title: string; state: string; manual?: string }[] {
  const defs = new Map((run.runbook?.verification ?? []).map((d) => [d.id, d]));
  return (run.checks ?? []).map((c: RunCheck) => {
    const d = defs.get(c.id) ?? {};
    const fromOk = c.ok === true ? 'ok' : c.ok === false ? 'failing' : undefined;
    return {
      id: c.id,
      title: c.title ?? d.title ?? humanize(c.id),
      state: c.state ?? c.status ?? fromOk ?? 'unknown',
      manual: c.manual ?? d.manual,
    };
  });
}

const KIND_LABEL = { action: 'Automated', command: 'Command', manual: 'Checklist' } as const;

function checklistLines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.replace(/^\s*[-*•]\s*/, '').trim())
    .filter(Boolean);
}

export interface StepPermissions {
  complete: boolean;
  approve: boolean;
  retry: boolean;
  skip: boolean;
}

function Step({
  step,
  n,
  incidentId,
  allowed,
  onChanged,
}: {
  step: ViewStep;
  n: number;
  incidentId: string;
  allowed: StepPermissions;
  onChanged: (msg: string) => Promise<void>;
}) {
  const titleId = useId();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const post = async (verb: 'complete' | 'approve' | 'retry' | 'skip', done: string) => {
    setBusy(true);
    setError(null);
    try {
      await api.post(`/api/v1/incidents/${encodeURIComponent(incidentId)}/steps/${encodeURIComponent(step.id)}/${verb}`, {});
      await onChanged(`${step.title}: ${done}.`);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  const s = step.state;
  const canComplete = allowed.complete && step.kind === 'manual' && (s === 'pending' || s === 'running');
  const canApprove = allowed.approve && s === 'awaiting_approval';
  const canRetry = allowed.retry && s === 'failed';
  const canSkip = allowed.skip && (s === 'pending' || s === 'awaiting_approval' || s === 'failed') && step.kind !== 'action';
  const long = (step.output ?? '').split('\n').length > 12;
  return (
    <li className={`step step-${s}`} data-step-id={step.id}>
      <div className="step-head">
        <span className="step-n" aria-hidden="true">
          {s === 'done' || s === 'succeeded' ? '✓' : n}
        </span>
        <h3 id={titleId} className="step-title">
          {step.title}
        </h3>
        <span className="badge kind">{KIND_LABEL[step.kind]}</span>
        <StateBadge state={s} />
      </div>
      {step.description && <p className="step-desc">{step.description}</p>}
      {step.action && (
        <p className="muted">
          Action: <code>{step.action}</code>
        </p>
      )}
      {step.command && (
        <pre className="code" aria-label={`Command for ${step.title}`}>
          <code>{step.command}</code>
        </pre>
      )}
      {step.manual && (
        <ul className="checklist">
          {checklistLines(step.manual).map((l, i) => (
            <li key={i}>{l}</li>
          ))}
        </ul>
      )}
      {step.error && <p className="error-note">{step.error}</p>}
      {step.output && (
        <details open={!long}>
          <summary>Output</summary>
          <pre className="code output">
            <code>{step.output}</code>
          </pre>
        </details>
      )}
      {step.by && <p className="muted">by {step.by}</p>}
      {(canComplete || canApprove || canRetry || canSkip) && (
        <div className="step-actions">
          {canComplete && (
            <button
              type="button"
              className="btn btn-primary"
              disabled={busy}
              aria-describedby={titleId}
              onClick={() => void post('complete', 'marked done')}
            >
              Mark done
            </button>
          )}
          {canApprove && (
            <button
              type="button"
              className="btn btn-primary"
              disabled={busy}
              aria-describedby={titleId}
              onClick={() => void post('approve', 'approved')}
            >
              Approve and run
            </button>
          )}
          {canRetry && (
            <button type="button" className="btn" disabled={busy} aria-describedby={titleId} onClick={() => void post('retry', 'retrying')}>
              Retry
            </button>
          )}
          {canSkip && (
            <ConfirmButton label="Skip" confirmLabel="Confirm skip" describedBy={titleId} onConfirm={() => post('skip', 'skipped')} />
          )}
        </div>
      )}
      {error && (
        <p className="error-note" role="alert">
          {error}
        </p>
      )}
    </li>
  );
}

/** The runbook run of an incident: automated steps with outcomes, the checklist, commands awaiting approval, verification checks. */
export function RunbookRun({
  run,
  incidentId,
  allowed,
  onChanged,
}: {
  run: Run;
  incidentId: string;
  allowed: StepPermissions;
  onChanged: (msg: string) => Promise<void>;
}) {
  const steps = normalizeSteps(run);
  const checks = normalizeChecks(run);
  const done = steps.filter((s) => ['done', 'succeeded', 'approved', 'skipped'].includes(s.state)).length;
  return (
    <div className="run">
      {run.runbook?.title && <p className="muted">Runbook: {run.runbook.title}</p>}
      {steps.length > 0 && (
        <>
          <p>
            <progress max={steps.length} value={done} aria-label="Steps finished" /> {done} of {steps.length} steps finished
          </p>
          <ol className="steps">
            {steps.map((s, i) => (
              <Step key={s.id} step={s} n={i + 1} incidentId={incidentId} allowed={allowed} onChanged={onChanged} />
            ))}
          </ol>
        </>
      )}
      {checks.length > 0 && (
        <>
          <h3>Verification</h3>
          <ul className="checks">
            {checks.map((c) => (
              <li key={c.id}>
                <StateBadge state={c.state} /> {c.title}
                {c.manual && <span className="muted"> — {c.manual}</span>}
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}
