/**
 * Which of a rule's actions a placed detection runs, and on what:
 *
 *   outcome                      actions
 *   created / reopened (opener)   all of the rule's actions
 *   joined (new campaign member)  the actions aimed at the key (ban, rate limit, account actions);
 *                                 incident-wide ones (notify, webhook) ran once for the opener
 *   appended (key fired again)    the renewing ones (ban, rate limit), as step `<action>@<time>`
 *   replayed (handled before)     as at its first handling (opener or member), same action ids:
 *                                 what ran is not run again, what a failed attempt missed runs now
 *
 * Each runs against the incident seen with the detection's key as its key,
 * so a member's ban is on the member's address. A rule keyed by account
 * whose value is the distinct addresses (credential_stuffing) aims its
 * address actions (`block_ip`, `rate_limit` without `params.ip`) at every
 * address that contributed to the window.
 */
import type { Incident } from '../../domain/incident.ts';
import { usToIso } from '../../store/event-repo.ts';
import type { RespondDeps } from '../response/respond-deps.ts';
import type { ActionRunRequest } from '../response/run-action.ts';
import type { Placed } from './place-detections.ts';

const ADDRESS_ACTIONS: ReadonlySet<string> = new Set(['block_ip', 'rate_limit']);
const KEY_KINDS: ReadonlySet<string> = new Set(['ip', 'range', 'user']);

export interface PlannedActions {
  /** The incident as the actions see it (its key: the detection's). */
  view: Incident;
  local: ActionRunRequest[];
  remote: ActionRunRequest[];
}

export function plannedActions(deps: RespondDeps, p: Placed): PlannedActions {
  const { d, rule } = p.job;
  const view: Incident = p.incident.dedup_key === d.key ? p.incident : { ...p.incident, dedup_key: d.key };
  const outcome = p.outcome !== 'replayed' ? p.outcome : p.incident.dedup_key === d.key ? 'created' : 'joined';
  let reqs: ActionRunRequest[];
  if (outcome === 'appended') {
    const at = usToIso(d.atUs);
    reqs = rule.actions.filter((a) => deps.response.actions.get(a.action)?.renews).map((a) => ({ ...a, step: `${a.action}@${at}` }));
  } else reqs = rule.actions.map((a) => ({ ...a }));

  const contributors = rule.key !== 'ip' && rule.value.kind === 'distinct' && rule.value.field === 'ip' ? (d.contributors ?? []) : null;
  const out: PlannedActions = { view, local: [], remote: [] };
  for (const req of reqs) {
    const action = deps.response.actions.get(req.action);
    const expand = contributors !== null && ADDRESS_ACTIONS.has(req.action) && req.params?.ip === undefined;
    const expanded = expand ? contributors.map((ip) => ({ ...req, params: { ...req.params, ip } })) : [req];
    for (const r of expanded) {
      if (outcome === 'joined' && !expand && !aimsAtKey(deps, r, view)) continue;
      if (action && !action.remote) out.local.push(r);
      else out.remote.push(r);
    }
  }
  return out;
}

/** True when the action acts on the incident's key (an address, a range, an account), not on the incident as a whole. */
function aimsAtKey(deps: RespondDeps, req: ActionRunRequest, view: Incident): boolean {
  const action = deps.response.actions.get(req.action);
  if (!action) return false;
  const parsed = action.parseParams(req.params ?? {});
  if (!parsed.ok) return false;
  const t = action.target(parsed.params, view);
  return typeof t !== 'string' && KEY_KINDS.has(t.kind);
}
