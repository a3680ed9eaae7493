/**
 * `firebreak decisions list|add|delete` against a running server (FIREBREAK_URL,
 * FIREBREAK_TOKEN): table output, or the API's JSON with --json.
 */
import type { Command } from 'commander';
import { AppError } from '../errors.ts';
import { formatDuration } from '../domain/duration.ts';
import type { CliIo } from './io.ts';
import { apiClientFromEnv } from './api-client.ts';
import { renderTable, shortTime } from './table.ts';
import type { DecisionView } from '../service/response/query-decisions.ts';

interface TargetFlags {
  ip?: string;
  range?: string;
  user?: string;
  scope?: string;
  value?: string;
}

/** --ip / --range / --user / --scope+--value → {scope, value}; exactly one way. */
function target(o: TargetFlags, required: boolean): { scope?: string; value?: string } {
  const given = [o.ip !== undefined, o.range !== undefined, o.user !== undefined, o.value !== undefined].filter(Boolean).length;
  if (given > 1) throw new AppError('invalid', 'give one of --ip, --range, --user or --value');
  if (o.ip !== undefined) return { scope: 'ip', value: o.ip };
  if (o.range !== undefined) return { scope: 'range', value: o.range };
  if (o.user !== undefined) return { scope: 'user', value: o.user };
  if (required && o.value === undefined && o.scope !== 'global')
    throw new AppError('invalid', 'say what to act on: --ip <address>, --range <cidr>, --user <id>, or --scope <scope> --value <value>');
  return { scope: o.scope, value: o.value };
}

/** The query of `list` and `delete`: the target (`ip=` also finds the ranges holding it) and the type. */
function targetQuery(o: TargetFlags & { type?: string }, t: { scope?: string; value?: string }): URLSearchParams {
  const qs = new URLSearchParams();
  if (o.ip !== undefined) qs.set('ip', o.ip);
  else {
    if (t.scope) qs.set('scope', t.scope);
    if (t.value !== undefined) qs.set('value', t.value);
  }
  if (o.type) qs.set('type', o.type);
  return qs;
}

function remaining(d: DecisionView): string {
  if (!d.active) return d.end_reason ?? 'ended';
  const ms = Date.parse(d.until) - Date.now();
  return ms > 0 ? `${formatDuration(Math.round(ms / 1000) * 1000)} left` : 'expired';
}

function table(items: DecisionView[]): string {
  return renderTable(
    ['ID', 'TYPE', 'SCOPE', 'VALUE', 'UNTIL', 'REMAINING', 'ORIGIN', 'INCIDENT', 'REASON'],
    items.map((d) => [
      d.id,
      d.type,
      d.scope,
      d.value,
      shortTime(d.until),
      remaining(d),
      d.origin,
      d.incident_id,
      d.reason.length > 60 ? `${d.reason.slice(0, 57)}...` : d.reason,
    ]),
  );
}

const targetOptions = (c: Command) =>
  c
    .option('--ip <address>', 'an IP address')
    .option('--range <cidr>', 'a CIDR range')
    .option('--user <id>', 'an account id')
    .option('--scope <scope>', 'ip, range, user or global')
    .option('--value <value>', 'the value for --scope');

export function registerDecisionsCommand(program: Command, io: CliIo): void {
  const cmd = program
    .command('decisions')
    .description('list, add and lift decisions (bans, rate limits, locks) of a running Firebreak (needs FIREBREAK_URL and FIREBREAK_TOKEN)')
    .addHelpText(
      'after',
      `\nExamples:\n  firebreak decisions list\n  firebreak decisions list --ip 203.0.113.5 --all\n  firebreak decisions add --ip 203.0.113.5 --duration 4h --reason "credential stuffing"\n  firebreak decisions add --range 198.18.0.0/16 --type captcha --duration 30m\n  firebreak decisions add --user alice --type lock --duration 1d\n  firebreak decisions delete 42\n  firebreak decisions delete --ip 203.0.113.5`,
    );

  targetOptions(cmd.command('list').description('list decisions, newest first (active ones unless --all or --ended)'))
    .option('--type <type>', 'ban, captcha, rate_limit or lock')
    .option('--incident <id>', 'decisions made for this incident')
    .option('--all', 'active and ended')
    .option('--ended', 'only lifted or expired ones')
    .option('--limit <n>', 'at most this many (1-1000)', '100')
    .option('--json', 'print the API answer as JSON')
    .action(
      async (o: TargetFlags & { type?: string; incident?: string; all?: boolean; ended?: boolean; limit: string; json?: boolean }) => {
        const t = target(o, false);
        const api = apiClientFromEnv(io.env)!;
        const qs = targetQuery(o, t);
        if (o.incident) qs.set('incident_id', o.incident);
        qs.set('active', o.all ? 'all' : o.ended ? 'false' : 'true');
        qs.set('limit', o.limit);
        const page = await api.request<{ items: DecisionView[]; next_cursor: string | null }>('GET', `/api/v1/decisions?${qs}`);
        if (o.json) return void io.stdout.write(JSON.stringify(page) + '\n');
        io.stdout.write(page.items.length ? table(page.items) : 'no decisions\n');
        if (page.next_cursor) io.stdout.write(`(more: use the API with cursor=${page.next_cursor})\n`);
      },
    );

  targetOptions(cmd.command('add').description('ban, rate-limit or lock by hand (allowlisted addresses are refused)'))
    .option('--type <type>', 'ban, captcha, rate_limit or lock', 'ban')
    .option('--duration <duration>', 'how long: 30m, 4h, 7d (default 4h)')
    .option('--reason <text>', 'why (shown to bouncers as the scenario)')
    .option('--incident <id>', 'the incident this belongs to (adds a timeline entry)')
    .option('--json', 'print the decision as JSON')
    .action(async (o: TargetFlags & { type: string; duration?: string; reason?: string; incident?: string; json?: boolean }) => {
      const t = target(o, true);
      const api = apiClientFromEnv(io.env)!;
      const body: Record<string, unknown> = { scope: t.scope, type: o.type };
      if (t.value !== undefined) body.value = t.value;
      if (o.duration !== undefined) body.duration = o.duration;
      if (o.reason !== undefined) body.reason = o.reason;
      if (o.incident !== undefined) body.incident_id = o.incident;
      const d = await api.request<DecisionView & { outcome: string }>('POST', '/api/v1/decisions', body);
      if (o.json) return void io.stdout.write(JSON.stringify(d) + '\n');
      const what = d.outcome === 'existing' ? 'already in place' : d.outcome === 'extended' ? 'extended' : 'added';
      io.stdout.write(`${what}: decision ${d.id} ${d.type} on ${d.scope} ${d.value} until ${shortTime(d.until)}\n`);
    });

  targetOptions(
    cmd.command('delete').description('lift a decision by id, or every active one for a target').argument('[id]', 'decision id'),
  )
    .option('--type <type>', 'only decisions of this type')
    .option('--json', 'print JSON')
    .action(async (id: string | undefined, o: TargetFlags & { type?: string; json?: boolean }) => {
      const api = apiClientFromEnv(io.env)!;
      if (id !== undefined) {
        if ([o.ip, o.range, o.user, o.value].some((v) => v !== undefined))
          throw new AppError('invalid', 'give a decision id or a target, not both');
        const d = await api.request<DecisionView>('DELETE', `/api/v1/decisions/${encodeURIComponent(id)}`);
        if (o.json) return void io.stdout.write(JSON.stringify(d) + '\n');
        return void io.stdout.write(`lifted decision ${d.id} (${d.type} on ${d.scope} ${d.value})\n`);
      }
      const t = target(o, true);
      const qs = targetQuery(o, t);
      const r = await api.request<{ deleted: number; items: DecisionView[] }>('DELETE', `/api/v1/decisions?${qs}`);
      if (o.json) return void io.stdout.write(JSON.stringify(r) + '\n');
      io.stdout.write(`lifted ${r.deleted} decision(s)${r.items.length ? `: ${r.items.map((d) => d.id).join(', ')}` : ''}\n`);
    });
}
