import type { Command } from 'commander';
import type { CliIo } from './io.ts';
import { apiClientFromEnv } from './api-client.ts';
import { withLocalDeps, LOCAL_OPERATOR } from './local-deps.ts';
import { renderTable, shortTime } from './table.ts';
import { computeAnalytics, type AnalyticsResult } from '../service/after-incident/compute-analytics.ts';
import { formatSeconds } from '../domain/postmortem.ts';
import type { DurationStats, GroupStats } from '../domain/analytics.ts';

const pct = (x: number | null): string => (x === null ? '-' : `${Math.round(x * 1000) / 10}%`);
const dur = (d: DurationStats): string =>
  d.n === 0 ? '-' : `${formatSeconds(d.mean_s)} / ${formatSeconds(d.p50_s)} / ${formatSeconds(d.p90_s)}`;
const row = (key: string, g: GroupStats) => [
  key,
  g.incidents,
  g.open,
  g.resolved,
  dur(g.mtta),
  dur(g.mttr),
  `${g.sla_breaches} (${pct(g.sla_breach_rate)})`,
  pct(g.automated_share),
];

/** Prints the analytics report as tables (the same figures as GET /api/v1/analytics). */
export function renderReport(r: AnalyticsResult): string {
  const out = [
    `Incidents detected ${shortTime(r.from)} → ${shortTime(r.to)}, grouped by ${r.group_by}`,
    'MTTA/MTTR: mean / p50 / p90 (nearest rank), from detection; AUTOMATED: share of resolutions by rules, runbooks, integrations or the system.',
    '',
    renderTable(
      ['GROUP', 'INCIDENTS', 'OPEN', 'RESOLVED', 'MTTA', 'MTTR', 'SLA BREACHES', 'AUTOMATED'],
      [...r.groups.map((g) => row(g.key, g)), row('TOTAL', r.totals)],
    ),
  ];
  if (r.top_addresses.length > 0) {
    out.push(
      `Top offending addresses${r.decisions_counted ? '' : ' (incidents only: no decisions table)'}`,
      renderTable(
        ['ADDRESS', 'INCIDENTS', 'DECISIONS'],
        r.top_addresses.map((o) => [o.address, o.incidents, o.decisions]),
      ),
    );
  }
  return out.join('\n');
}

/** `firebreak report --since 30d [--group-by type] [--json]`: through the API, or on the database when no server is named. */
export function registerReportCommand(program: Command, io: CliIo): void {
  program
    .command('report')
    .description('incident analytics: counts, MTTA/MTTR, SLA breaches, automated resolutions, top offending addresses')
    .option('--since <duration>', 'the period up to now, e.g. 7d, 30d, 12h', '30d')
    .option('--from <time>', 'period start (RFC 3339), instead of --since')
    .option('--to <time>', 'period end (RFC 3339; default now)')
    .option('--group-by <what>', 'type, severity or week', 'type')
    .option('--top <n>', 'how many offending addresses', '10')
    .option('--json', 'print the API answer as JSON')
    .option('-c, --config <file>', 'configuration file (for direct database access)')
    .option('--data-dir <dir>', 'data directory (for direct database access)')
    .addHelpText(
      'after',
      '\nExamples:\n  firebreak report --since 30d\n  firebreak report --since 12w --group-by week\n  firebreak report --from 2026-03-01T00:00:00Z --to 2026-04-01T00:00:00Z --json',
    )
    .action(
      async (o: {
        since: string;
        from?: string;
        to?: string;
        groupBy: string;
        top: string;
        json?: boolean;
        config?: string;
        dataDir?: string;
      }) => {
        const query: Record<string, string> = { group_by: o.groupBy, top: o.top };
        if (o.from) query.from = o.from;
        else query.since = o.since;
        if (o.to) query.to = o.to;
        const api = apiClientFromEnv(io.env, false);
        const r = api
          ? await api.request<AnalyticsResult>('GET', `/api/v1/analytics?${new URLSearchParams(query)}`)
          : await withLocalDeps({ ...o, env: io.env }, (d) => computeAnalytics(d, LOCAL_OPERATOR, query));
        io.stdout.write(o.json ? JSON.stringify(r) + '\n' : renderReport(r));
      },
    );
}
