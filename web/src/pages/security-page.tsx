import { useEffect, useId, useState, type FormEvent } from 'react';
import { api, query } from '../api.ts';
import { useSession } from '../session.tsx';
import { usePoll } from '../use-poll.ts';
import { useNow } from '../use-now.ts';
import { humanize } from '../format.ts';
import { DecisionsTable } from '../components/decisions-table.tsx';
import { ConfirmButton } from '../components/confirm-button.tsx';
import { ErrorNote, Loading, Unavailable } from '../components/notice.tsx';
import { SearchField, SelectField, TableHead } from '../components/fields.tsx';
import type { AllowEntry, Decision, Page } from '../types.ts';

const PAGE = 100;

/**
 * Active decisions, searched and paged by the server (`q`, `type`, cursor):
 * a botnet leaves 100,000 bans, far more than a browser should load.
 */
function Decisions() {
  const { can, has } = useSession();
  const now = useNow();
  const [filter, setFilter] = useState('');
  const [q, setQ] = useState('');
  const [type, setType] = useState('');
  // Cursors of the pages before the current one: "Newer" pops, "Older" pushes.
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors[cursors.length - 1];
  useEffect(() => {
    const t = setTimeout(() => {
      setQ(filter.trim());
      setCursors([]);
    }, 300);
    return () => clearTimeout(t);
  }, [filter]);
  const key = `decisions|${q}|${type}|${cursor ?? ''}`;
  const list = usePoll(
    () => api.get<Page<Decision>>(`/api/v1/decisions${query({ limit: PAGE, q: q || undefined, type: type || undefined, cursor })}`),
    5000,
    key,
    true,
    true,
  );
  const items = list.data?.items ?? [];
  const types = ['ban', 'rate_limit', 'lock', 'captcha'];
  const next = list.data?.next_cursor ?? null;
  return (
    <>
      <form className="filters" role="search" aria-label="Filter decisions" onSubmit={(e) => e.preventDefault()}>
        <SelectField
          label="Type"
          value={type}
          onChange={(v) => {
            setType(v);
            setCursors([]);
          }}
          options={types.map((t) => [t, humanize(t)] as const)}
          any
        />
        <SearchField value={filter} onChange={setFilter} placeholder="IP, range, user, reason" />
      </form>
      <ErrorNote error={list.error} />
      {!list.loaded ? (
        <Loading />
      ) : items.length === 0 ? (
        <p className="empty">{q || type ? 'No decisions match.' : 'No active decisions: nothing is banned, limited or locked.'}</p>
      ) : (
        <DecisionsTable
          items={items}
          now={now}
          caption="Active decisions"
          canLift={can('decisions:write') && has('decision_lift')}
          onLifted={list.refresh}
        />
      )}
      {(cursors.length > 0 || next) && (
        <nav className="pager" aria-label="Decision pages">
          <button type="button" className="btn" disabled={cursors.length === 0} onClick={() => setCursors((c) => c.slice(0, -1))}>
            Newer
          </button>
          <span className="muted">
            Page {cursors.length + 1} ({PAGE} a page)
          </span>
          <button type="button" className="btn" disabled={!next} onClick={() => next && setCursors((c) => [...c, next])}>
            Older
          </button>
        </nav>
      )}
    </>
  );
}

function AddAllowEntry({ onAdded }: { onAdded: () => Promise<void> }) {
  const [cidr, setCidr] = useState('');
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const ids = { cidr: useId(), note: useId() };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api.post('/api/v1/allowlist', { cidr: cidr.trim(), ...(note.trim() ? { note: note.trim() } : {}) });
      setCidr('');
      setNote('');
      await onAdded();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="inline-form" onSubmit={submit} aria-label="Add to the allowlist">
      <div className="field">
        <label htmlFor={ids.cidr}>IP or CIDR range</label>
        <input
          id={ids.cidr}
          required
          value={cidr}
          onChange={(e) => setCidr(e.target.value)}
          placeholder="198.51.100.0/24"
          spellCheck={false}
        />
      </div>
      <div className="field grow">
        <label htmlFor={ids.note}>Note</label>
        <input id={ids.note} value={note} onChange={(e) => setNote(e.target.value)} placeholder="office network" />
      </div>
      <button type="submit" className="btn" disabled={busy || !cidr.trim()}>
        Add
      </button>
      <ErrorNote error={error} />
    </form>
  );
}

function Allowlist() {
  const { can, has } = useSession();
  const list = usePoll(() => api.get<Page<AllowEntry> & { always?: string[] }>('/api/v1/allowlist'), 10_000, 'allowlist');
  const canEdit = can('decisions:write');
  const canRemove = canEdit && has('allowlist_remove');
  const base = useId();
  const always = list.data?.always ?? ['127.0.0.0/8', '::1/128'];
  return (
    <>
      <p className="muted">
        Addresses on the allowlist are never banned, whatever a rule says. Always on it:{' '}
        {always.map((c, i) => (
          <span key={c}>
            {i > 0 && ', '}
            <code>{c}</code>
          </span>
        ))}
        .
      </p>
      <ErrorNote error={list.error} />
      {!list.loaded ? (
        <Loading />
      ) : (list.data?.items.length ?? 0) === 0 ? (
        <p className="empty">Nothing else is allowlisted.</p>
      ) : (
        <table className="table">
          <caption className="sr-only">Allowlist</caption>
          <TableHead columns={['Range', 'Note', 'Added by']} actions={canRemove} />
          <tbody>
            {list.data!.items.map((a) => (
              <tr key={a.id}>
                <td data-label="Range" id={`${base}-${a.id}`}>
                  <code>{a.cidr}</code>
                </td>
                <td data-label="Note">{a.note || '—'}</td>
                <td data-label="Added by">{a.source === 'config' ? 'configuration file' : (a.created_by ?? '—')}</td>
                {canRemove && (
                  <td data-label="">
                    {a.source === 'config' ? (
                      <span className="muted">edit the file</span>
                    ) : (
                      <ConfirmButton
                        label="Remove"
                        confirmLabel="Confirm remove"
                        describedBy={`${base}-${a.id}`}
                        onConfirm={async () => {
                          await api.del(`/api/v1/allowlist/${encodeURIComponent(a.id)}`);
                          await list.refresh();
                        }}
                      />
                    )}
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {canEdit && has('allowlist_add') && <AddAllowEntry onAdded={list.refresh} />}
    </>
  );
}

export function SecurityPage() {
  const { has } = useSession();
  return (
    <section aria-labelledby="security-title">
      <div className="page-head">
        <h1 id="security-title" tabIndex={-1}>
          Security
        </h1>
      </div>
      <section className="panel" aria-labelledby="decisions-h">
        <h2 id="decisions-h">Active decisions</h2>
        {has('decisions') ? (
          <Decisions />
        ) : (
          <Unavailable>Decisions (bans, rate limits, locked accounts) are not available on this server yet.</Unavailable>
        )}
      </section>
      <section className="panel" aria-labelledby="allow-h">
        <h2 id="allow-h">Allowlist</h2>
        {has('allowlist') ? (
          <Allowlist />
        ) : (
          <Unavailable>
            The allowlist API is not available on this server yet. The configuration file's <code>allowlist</code> applies.
          </Unavailable>
        )}
      </section>
    </section>
  );
}
