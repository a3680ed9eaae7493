/**
 * `firebreak respond`: the seed runbook's `automated_response.py`, made
 * real. Opens (or appends to) the incident for the address or account, runs
 * the incident type's automated actions through the API, and prints each
 * action with its outcome, waiting a while for retries to settle.
 *
 *   firebreak respond --incident-type brute_force_attempt --severity high --ip-address <IP>
 *   firebreak respond --incident-type account_compromise --severity critical --user-id <USER_ID>
 *   firebreak respond --incident-type ddos --severity high --ip-address <IP> --dry-run
 *
 * Exit codes: 0 every action succeeded (or was skipped, e.g. allowlisted);
 * 1 an action failed or is still retrying when --wait runs out; 2 bad flags.
 */
import type { Command } from 'commander';
import { AppError } from '../errors.ts';
import { parseDuration } from '../domain/duration.ts';
import { SEVERITIES } from '../domain/severity.ts';
import { canonicalIp } from '../domain/ip.ts';
import type { CliIo } from './io.ts';
import { apiClientFromEnv, type ApiClient } from './api-client.ts';
import type { ActionRun } from '../store/action-run-repo.ts';
import type { PlannedAction } from '../service/response/plan-response.ts';
import type { Incident } from '../domain/incident.ts';

/** What each seeded incident type acts on. Other types are passed to the server, which knows its rules. */
const TARGET_OF: Readonly<Record<string, 'ip' | 'user'>> = {
  brute_force_attempt: 'ip',
  ddos: 'ip',
  account_compromise: 'user',
};

interface Flags {
  incidentType: string;
  severity: string;
  ipAddress?: string;
  userId?: string;
  title?: string;
  dryRun?: boolean;
  wait: string;
  json?: boolean;
}

type Run = ActionRun & { replayed?: boolean };

/** Checks the flags and returns the dedup key; throws invalid (exit 2) naming the flag. */
export function respondKey(o: Pick<Flags, 'incidentType' | 'severity' | 'ipAddress' | 'userId'>): string {
  if (!/^[a-z][a-z0-9_.-]{0,63}$/.test(o.incidentType))
    throw new AppError(
      'invalid',
      `--incident-type "${o.incidentType}" is not an incident type (e.g. ${Object.keys(TARGET_OF).join(', ')})`,
    );
  if (!(SEVERITIES as readonly string[]).includes(o.severity))
    throw new AppError('invalid', `--severity must be one of ${SEVERITIES.join(', ')}, not "${o.severity}"`);
  const need = TARGET_OF[o.incidentType];
  if (o.ipAddress !== undefined && canonicalIp(o.ipAddress.trim()) === null)
    throw new AppError('invalid', `--ip-address "${o.ipAddress}" is not an IP address`);
  if (o.userId !== undefined && !/^[^\s\u0000-\u001f]{1,200}$/.test(o.userId))
    throw new AppError('invalid', `--user-id "${o.userId}" is not an account id`);
  if (need === 'ip' && o.ipAddress === undefined)
    throw new AppError('invalid', `--incident-type ${o.incidentType} needs --ip-address <IP>`);
  if (need === 'user' && o.userId === undefined)
    throw new AppError('invalid', `--incident-type ${o.incidentType} needs --user-id <USER_ID>`);
  if (need === 'ip' || (need === undefined && o.ipAddress !== undefined)) return `ip:${canonicalIp(o.ipAddress!.trim())}`;
  if (need === 'user' || o.userId !== undefined) return `user:${o.userId}`;
  return 'global';
}

const PENDING = new Set(['running', 'retrying']);

function line(r: Run): string {
  const msg = typeof r.result?.message === 'string' ? r.result.message : (r.last_error ?? '');
  const state =
    r.status === 'retrying'
      ? `failed (attempt ${r.attempts} of ${r.max_attempts}), retrying at ${r.next_attempt_at}`
      : r.status === 'skipped'
        ? (r.outcome ?? 'skipped')
        : r.status === 'running'
          ? 'in progress'
          : r.status;
  return `  ${r.action.padEnd(21)} ${r.target.padEnd(26)} ${state}${msg ? `: ${msg}` : ''}${r.replayed ? ' (already done earlier)' : ''}\n`;
}

async function waitForRuns(api: ApiClient, incidentId: string, runs: Run[], waitMs: number, io: CliIo, json: boolean): Promise<Run[]> {
  const deadline = Date.now() + waitMs;
  let current = runs;
  while (current.some((r) => PENDING.has(r.status)) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    const all = (await api.request<{ items: Run[] }>('GET', `/api/v1/incidents/${encodeURIComponent(incidentId)}/actions`)).items;
    const byId = new Map(all.map((r) => [r.id, r]));
    current = current.map((r) => {
      const next = byId.get(r.id) ?? r;
      if (!json && (next.status !== r.status || next.attempts !== r.attempts)) io.stdout.write(line(next));
      return { ...next, replayed: r.replayed };
    });
  }
  return current;
}

export function registerRespondCommand(program: Command, io: CliIo): void {
  program
    .command('respond')
    .description(
      "run an incident type's automated response now: open (or append to) the incident and run its actions (needs FIREBREAK_URL and FIREBREAK_TOKEN)",
    )
    .requiredOption('--incident-type <type>', 'brute_force_attempt, account_compromise, ddos, or another type with a rule')
    .requiredOption('--severity <severity>', SEVERITIES.join(', '))
    .option('--ip-address <ip>', 'the address (brute_force_attempt, ddos)')
    .option('--user-id <id>', 'the account (account_compromise)')
    .option('--title <text>', 'incident title (default: derived)')
    .option('--dry-run', 'show the plan; change nothing')
    .option('--wait <duration>', 'how long to wait for retries to settle (0 = do not wait)', '30s')
    .option('--json', 'print {incident, actions} as JSON')
    .addHelpText(
      'after',
      `\nExamples:\n  firebreak respond --incident-type brute_force_attempt --severity high --ip-address 203.0.113.5\n  firebreak respond --incident-type account_compromise --severity critical --user-id 42\n  firebreak respond --incident-type ddos --severity high --ip-address 203.0.113.5 --dry-run`,
    )
    .action(async (o: Flags) => {
      const key = respondKey(o);
      const waitMs = parseDuration(o.wait);
      if (waitMs === null) throw new AppError('invalid', `--wait "${o.wait}" is not a duration (use 0, 30s, 2m)`);
      const api = apiClientFromEnv(io.env)!;
      const plan = await api.request<{ rule: string; actions: PlannedAction[] }>(
        'GET',
        `/api/v1/response-plan?${new URLSearchParams({ type: o.incidentType, dedup_key: key })}`,
      );
      if (o.dryRun) {
        if (o.json)
          return void io.stdout.write(
            JSON.stringify({ dry_run: true, type: o.incidentType, severity: o.severity, dedup_key: key, ...plan }) + '\n',
          );
        io.stdout.write(
          `Dry run: would open or append to a ${o.incidentType} incident (${o.severity}) for ${key}, then run (rule ${plan.rule}):\n`,
        );
        for (const a of plan.actions)
          io.stdout.write(
            `  ${a.action.padEnd(21)} ${(a.target ?? '-').padEnd(26)} ${a.description}${a.note ? `\n  ${''.padEnd(21)} ${''.padEnd(26)} note: ${a.note}` : ''}\n`,
          );
        io.stdout.write('Nothing was changed.\n');
        return;
      }
      const subject = key === 'global' ? '' : ` ${key.startsWith('ip:') ? 'from' : 'on'} ${key.slice(key.indexOf(':') + 1)}`;
      const title = o.title ?? `${o.incidentType.replace(/_/g, ' ')}${subject} (firebreak respond)`;
      const inc = await api.request<Incident & { outcome: string }>('POST', '/api/v1/incidents', {
        type: o.incidentType,
        severity: o.severity,
        title,
        dedup_key: key,
        description: 'Opened by `firebreak respond`.',
      });
      if (!o.json) io.stdout.write(`Incident #${inc.id} ${inc.type} (${inc.severity}) ${key}: ${inc.outcome}\n`);
      const ran = (await api.request<{ items: Run[] }>('POST', `/api/v1/incidents/${encodeURIComponent(inc.id)}/actions`, {})).items;
      if (!o.json) for (const r of ran) io.stdout.write(line(r));
      const final = waitMs > 0 ? await waitForRuns(api, inc.id, ran, waitMs, io, !!o.json) : ran;
      if (o.json) io.stdout.write(JSON.stringify({ incident: inc, actions: final }) + '\n');
      const failed = final.filter((r) => r.status === 'failed');
      const pending = final.filter((r) => PENDING.has(r.status));
      if (failed.length || pending.length) {
        const parts = [
          failed.length ? `${failed.length} failed (${failed.map((r) => r.action).join(', ')})` : '',
          pending.length
            ? `${pending.length} still retrying (${pending.map((r) => r.action).join(', ')}); they keep retrying on the server`
            : '',
        ].filter(Boolean);
        throw new AppError('unavailable', `incident #${inc.id}: ${parts.join('; ')}; see firebreak incidents show ${inc.id}`);
      }
    });
}
