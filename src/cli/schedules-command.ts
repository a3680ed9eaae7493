import type { Command } from 'commander';
import type { CliIo } from './io.ts';
import { apiClientFromEnv } from './api-client.ts';
import { renderTable, shortTime } from './table.ts';

interface ScheduleItem {
  name: string;
  time_zone: string;
  now: { person: string | null; until: string | null };
  next: { person: string | null; from: string } | null;
}

/** `firebreak schedules list|oncall|override` against a running server. */
export function registerSchedulesCommand(program: Command, io: CliIo): void {
  const cmd = program
    .command('schedules')
    .description('on-call schedules of a running Firebreak (needs FIREBREAK_URL and FIREBREAK_TOKEN)')
    .addHelpText(
      'after',
      `\nExamples:\n  firebreak schedules list\n  firebreak schedules oncall primary --at 2026-03-29T01:30:00Z\n  firebreak schedules override primary --person carol --start 2026-03-29T00:00:00Z --end 2026-03-29T08:00:00Z`,
    );

  cmd
    .command('list')
    .description('who is on call now, and who is next')
    .option('--json', 'print the API answer as JSON')
    .action(async (o: { json?: boolean }) => {
      const page = await apiClientFromEnv(io.env)!.request<{ items: ScheduleItem[] }>('GET', '/api/v1/schedules');
      if (o.json) return void io.stdout.write(JSON.stringify(page) + '\n');
      io.stdout.write(
        renderTable(
          ['SCHEDULE', 'TIME ZONE', 'ON CALL', 'UNTIL', 'NEXT'],
          page.items.map((s) => [s.name, s.time_zone, s.now.person ?? '(nobody)', shortTime(s.now.until), s.next?.person ?? '-']),
        ),
      );
    });

  cmd
    .command('oncall')
    .description('who is on call for a schedule, now or at a given time')
    .argument('<schedule>', 'schedule name')
    .option('--at <time>', 'RFC 3339 time (default: now)')
    .option('--json', 'print the API answer as JSON')
    .action(async (name: string, o: { at?: string; json?: boolean }) => {
      const r = await apiClientFromEnv(io.env)!.request<{
        person: string | null;
        shift_start: string | null;
        shift_end: string | null;
        source: string;
      }>('GET', `/api/v1/schedules/${encodeURIComponent(name)}/oncall${o.at ? `?at=${encodeURIComponent(o.at)}` : ''}`);
      if (o.json) return void io.stdout.write(JSON.stringify(r) + '\n');
      io.stdout.write(`${r.person ?? '(nobody)'}  ${shortTime(r.shift_start)} → ${shortTime(r.shift_end)}  (${r.source})\n`);
    });

  cmd
    .command('override')
    .description('let someone cover a schedule for a while (responder or admin)')
    .argument('<schedule>', 'schedule name')
    .requiredOption('--person <id>', 'a person from `people:`')
    .requiredOption('--start <time>', 'RFC 3339 time')
    .requiredOption('--end <time>', 'RFC 3339 time')
    .option('--json', 'print the override as JSON')
    .action(async (name: string, o: { person: string; start: string; end: string; json?: boolean }) => {
      const r = await apiClientFromEnv(io.env)!.request<{ id: string }>('POST', `/api/v1/schedules/${encodeURIComponent(name)}/overrides`, {
        person: o.person,
        start: o.start,
        end: o.end,
      });
      io.stdout.write(o.json ? JSON.stringify(r) + '\n' : `override ${r.id}: ${o.person} covers ${name} from ${o.start} to ${o.end}\n`);
    });
}
