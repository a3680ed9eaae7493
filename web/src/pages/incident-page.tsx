import { useId, useRef, useState, type FormEvent } from 'react';
import { api, ApiError, errorText, query } from '../api.ts';
import { Link } from '../router.tsx';
import { useSession } from '../session.tsx';
import { usePoll } from '../use-poll.ts';
import { useNow } from '../use-now.ts';
import { age, formatDateTime, humanize } from '../format.ts';
import { SeverityBadge, StatusBadge } from '../components/badges.tsx';
import { Deadline, isBreached } from '../components/deadline.tsx';
import { ErrorNote, Loading, Unavailable } from '../components/notice.tsx';
import { RunbookRun } from '../components/runbook-run.tsx';
import { EscalationPanel } from '../components/escalation-panel.tsx';
import { TimelineList } from '../components/timeline-list.tsx';
import { DecisionsTable } from '../components/decisions-table.tsx';
import { MembersPanel } from '../components/members-panel.tsx';
import type { Decision, Escalation, Incident, IncidentStatus, Page, TimelineEntry } from '../types.ts';

type Verb = 'acknowledge' | 'resolve' | 'reopen';
/** What a responder may do from each status (the server's transition table, src/domain/incident.ts). */
const VERBS: Record<IncidentStatus, Verb[]> = {
  triggered: ['acknowledge', 'resolve'],
  acknowledged: ['resolve', 'reopen'],
  resolved: ['reopen'],
};
const DONE: Record<Verb, string> = { acknowledge: 'Acknowledged', resolve: 'Resolved', reopen: 'Re-opened' };

/** Loads the timeline once, then only the entries after the last one seen. */
function useTimeline(id: string) {
  const acc = useRef<{ id: string; items: TimelineEntry[] }>({ id, items: [] });
  return usePoll(
    async () => {
      if (acc.current.id !== id) acc.current = { id, items: [] };
      let cursor = acc.current.items.at(-1)?.id;
      for (let page = 0; page < 20; page++) {
        const r = await api.get<Page<TimelineEntry>>(
          `/api/v1/incidents/${encodeURIComponent(id)}/timeline${query({ cursor, limit: 500 })}`,
        );
        if (r.items.length > 0) acc.current = { id, items: [...acc.current.items, ...r.items] };
        if (!r.next_cursor) break;
        cursor = r.next_cursor;
      }
      return acc.current.items;
    },
    2000,
    id,
  );
}

function NoteForm({ id, onAdded }: { id: string; onAdded: (msg: string) => Promise<void> }) {
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const fieldId = useId();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!text.trim()) return;
    setBusy(true);
    setError(null);
    try {
      await api.post(`/api/v1/incidents/${encodeURIComponent(id)}/notes`, { text: text.trim() });
      setText('');
      await onAdded('Note added.');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="note-form" onSubmit={submit}>
      <label htmlFor={fieldId}>Add a note</label>
      <textarea
        id={fieldId}
        rows={3}
        value={text}
        onChange={(e) => setText(e.target.value)}
        placeholder="What you saw, what you changed, what comes next"
      />
      <ErrorNote error={error} />
      <button type="submit" className="btn" disabled={busy || !text.trim()}>
        {busy ? 'Adding…' : 'Add note'}
      </button>
    </form>
  );
}

export function IncidentPage({ id }: { id: string }) {
  const { can, has } = useSession();
  const now = useNow();
  const inc = usePoll(() => api.get<Incident>(`/api/v1/incidents/${encodeURIComponent(id)}`), 2000, id);
  const timeline = useTimeline(id);
  const showDecisions = has('decisions');
  const escalation = usePoll(
    () => api.get<Escalation>(`/api/v1/incidents/${encodeURIComponent(id)}/escalation`),
    5000,
    id,
    has('incident_escalation'),
  );
  const decisions = usePoll(() => api.get<Page<Decision>>(`/api/v1/decisions${query({ incident_id: id })}`), 5000, id, showDecisions);
  const [busy, setBusy] = useState<Verb | null>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const [said, setSaid] = useState('');
  const canWrite = can('incidents:write');

  const changed = async (msg: string) => {
    setSaid(msg);
    await Promise.all([
      inc.refresh(),
      timeline.refresh(),
      showDecisions ? decisions.refresh() : undefined,
      has('incident_escalation') ? escalation.refresh() : undefined,
    ]);
  };
  const act = async (verb: Verb) => {
    setBusy(verb);
    setActionError(null);
    try {
      await api.post(`/api/v1/incidents/${encodeURIComponent(id)}/${verb}`, {});
      await changed(`${DONE[verb]}.`);
    } catch (err) {
      setActionError(err);
    } finally {
      setBusy(null);
    }
  };

  const notFound = inc.error instanceof ApiError && inc.error.status === 404;
  const i = notFound ? undefined : inc.data;
  const breached = i ? isBreached(i, now) : false;
  // One <h1> element in every state, so the focus it gets on arrival survives loading.
  return (
    <article className="incident" aria-labelledby="incident-title">
      <p className="back">
        <Link to="/">← All incidents</Link>
      </p>
      <header className={`incident-head ${breached ? 'is-breached' : ''}`}>
        <div className="badges">
          {i && (
            <>
              <SeverityBadge severity={i.severity} />
              <StatusBadge status={i.status} />
            </>
          )}
          <span className="muted">#{id}</span>
        </div>
        <h1 id="incident-title" tabIndex={-1}>
          {i ? i.title : notFound ? `Incident ${id} not found` : `Incident ${id}`}
        </h1>
        {!i &&
          (notFound ? (
            <p>It may have been typed wrong; incidents are never deleted.</p>
          ) : inc.error ? (
            <ErrorNote error={inc.error} />
          ) : (
            <Loading />
          ))}
        {i && (
          <>
            <p className="muted">
              {humanize(i.type)}
              {i.dedup_key && (
                <>
                  {' · '}
                  <code>{i.dedup_key}</code>
                </>
              )}
            </p>
            {canWrite && (
              <div className="actions" role="group" aria-label="Incident actions">
                {VERBS[i.status].map((v) => (
                  <button
                    key={v}
                    type="button"
                    className={`btn ${v === 'acknowledge' ? 'btn-primary' : ''}`}
                    disabled={busy !== null}
                    onClick={() => void act(v)}
                  >
                    {busy === v ? `${humanize(v)}…` : humanize(v)}
                  </button>
                ))}
              </div>
            )}
            <ErrorNote error={actionError} />
          </>
        )}
        <p className="sr-only" role="status" aria-live="polite">
          {said}
        </p>
      </header>
      {i && inc.error ? <ErrorNote error={inc.error} /> : null}
      {i && (
        <div className="incident-grid">
          <div className="incident-main">
            {i.description && (
              <section aria-labelledby="desc-h" className="panel">
                <h2 id="desc-h">Description</h2>
                <p className="description">{i.description}</p>
              </section>
            )}
            {i.run && (
              <section aria-labelledby="run-h" className="panel">
                <h2 id="run-h">Runbook</h2>
                <RunbookRun
                  run={i.run}
                  incidentId={i.id}
                  allowed={{
                    complete: canWrite && has('step_complete'),
                    approve: canWrite && has('step_approve'),
                    retry: canWrite && has('step_retry'),
                    skip: canWrite && has('step_skip'),
                  }}
                  onChanged={changed}
                />
              </section>
            )}
            <section aria-labelledby="timeline-h" className="panel">
              <h2 id="timeline-h">Timeline</h2>
              {timeline.data ? (
                <TimelineList entries={timeline.data} />
              ) : timeline.error ? (
                <ErrorNote error={timeline.error} />
              ) : (
                <Loading />
              )}
              {canWrite && <NoteForm id={i.id} onAdded={changed} />}
            </section>
          </div>

          <aside className="incident-side">
            <section aria-labelledby="facts-h" className="panel">
              <h2 id="facts-h">Details</h2>
              <dl className="facts">
                <dt>Acknowledge within</dt>
                <dd>
                  <Deadline incident={i} now={now} />
                </dd>
                <dt>Deadline</dt>
                <dd>{formatDateTime(i.ack_deadline)}</dd>
                <dt>Opened</dt>
                <dd>
                  {formatDateTime(i.created_at)} <span className="muted">({age(i.created_at, now)} ago)</span>
                </dd>
                {i.acknowledged_at && (
                  <>
                    <dt>Acknowledged</dt>
                    <dd>
                      {formatDateTime(i.acknowledged_at)}
                      {i.acknowledged_by ? ` by ${i.acknowledged_by}` : ''}
                    </dd>
                  </>
                )}
                {i.resolved_at && (
                  <>
                    <dt>Resolved</dt>
                    <dd>
                      {formatDateTime(i.resolved_at)}
                      {i.resolved_by ? ` by ${i.resolved_by}` : ''}
                    </dd>
                  </>
                )}
                {i.sla_breached_at && (
                  <>
                    <dt>Deadline missed</dt>
                    <dd>{formatDateTime(i.sla_breached_at)}</dd>
                  </>
                )}
                <dt>Detections</dt>
                <dd>{i.detection_count ?? 1}</dd>
                {(i.reopen_count ?? 0) > 0 && (
                  <>
                    <dt>Re-opened</dt>
                    <dd>{i.reopen_count} times</dd>
                  </>
                )}
                {i.source && (
                  <>
                    <dt>Source</dt>
                    <dd>{i.source}</dd>
                  </>
                )}
              </dl>
            </section>

            <section aria-labelledby="esc-h" className="panel">
              <h2 id="esc-h">Escalation</h2>
              {escalation.data ? (
                <EscalationPanel escalation={escalation.data} now={now} />
              ) : i.escalation ? (
                <EscalationPanel escalation={i.escalation} now={now} />
              ) : has('incident_escalation') ? (
                escalation.error ? (
                  <ErrorNote error={escalation.error} />
                ) : (
                  <Loading />
                )
              ) : (
                <Unavailable>Escalation is not available on this server yet.</Unavailable>
              )}
            </section>

            {(i.members ?? 0) > 1 && <MembersPanel incidentId={i.id} count={i.members!} />}

            <section aria-labelledby="dec-h" className="panel">
              <h2 id="dec-h">Decisions</h2>
              {!showDecisions ? (
                <Unavailable>Decisions are not available on this server yet.</Unavailable>
              ) : decisions.data ? (
                decisions.data.items.length === 0 ? (
                  <p className="muted">No decisions for this incident.</p>
                ) : (
                  <DecisionsTable
                    compact
                    items={decisions.data.items}
                    now={now}
                    caption="Decisions taken for this incident"
                    canLift={can('decisions:write') && has('decision_lift')}
                    onLifted={() => changed('Decision lifted.')}
                  />
                )
              ) : decisions.error ? (
                <p className="muted">{errorText(decisions.error)}</p>
              ) : (
                <Loading />
              )}
            </section>
          </aside>
        </div>
      )}
    </article>
  );
}
