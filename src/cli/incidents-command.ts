import type { Command } from 'commander';
import type { CliIo } from './io.ts';
import { apiClientFromEnv } from './api-client.ts';
import type { TimelineEntry } from '../store/timeline-repo.ts';
import { renderTable, shortTime } from './table.ts';
import type { Incident } from '../domain/incident.ts';

/** `firebreak incidents list|show|ack|resolve|reopen|note` against a running server. */
export function registerIncidentsCommand(program: Command, io: CliIo): void {
  const cmd = program
    .command('incidents')
    .description('list and act on incidents of a running Firebreak (needs FIREBREAK_URL and FIREBREAK_TOKEN)')
    .addHelpText(
      'after',
      `\nExamples:\n  firebreak incidents list --status triggered,acknowledged\n  firebreak incidents show 42\n  firebreak incidents ack 42 --note "looking into it"\n  firebreak incidents resolve 42 --note "blocked at the edge"\n  firebreak incidents note 42 "rolled back deploy 1234"`,
    );

  cmd
    .command('list')
    .description('list incidents, newest first')
    .option('--status <list>', 'comma-separated: triggered,acknowledged,resolved')
    .option('--severity <list>', 'comma-separated: critical,high,medium,low')
    .option('--type <list>', 'comma-separated incident types')
    .option('-q, --search <text>', 'search title, type and dedup key')
    .option('--limit <n>', 'at most this many (1-500)', '50')
    .option('--json', 'print the API answer as JSON')
    .action(async (o: { status?: string; severity?: string; type?: string; search?: string; limit: string; json?: boolean }) => {
      const api = apiClientFromEnv(io.env)!;
      const qs = new URLSearchParams();
      if (o.status) qs.set('status', o.status);
      if (o.severity) qs.set('severity', o.severity);
      if (o.type) qs.set('type', o.type);
      if (o.search) qs.set('q', o.search);
      qs.set('limit', o.limit);
      const page = await api.request<{ items: Incident[]; next_cursor: string | null }>('GET', `/api/v1/incidents?${qs}`);
      if (o.json) return void io.stdout.write(JSON.stringify(page) + '\n');
      io.stdout.write(
        renderTable(
          ['ID', 'SEVERITY', 'STATUS', 'TYPE', 'KEY', 'OPENED', 'ACK BY', 'TITLE'],
          page.items.map((i) => [
            i.id,
            i.severity,
            i.status + (i.sla_breached ? ' (SLA!)' : ''),
            i.type,
            i.dedup_key,
            shortTime(i.created_at),
            i.status === 'triggered' ? shortTime(i.ack_deadline) : '-',
            i.title,
          ]),
        ),
      );
      if (page.next_cursor) io.stdout.write(`(more: use the API with cursor=${page.next_cursor})\n`);
    });

  cmd
    .command('show')
    .description('show one incident and its timeline')
    .argument('<id>', 'incident id')
    .option('--json', 'print JSON ({incident, timeline})')
    .action(async (id: string, o: { json?: boolean }) => {
      const api = apiClientFromEnv(io.env)!;
      const inc = await api.request<Incident>('GET', `/api/v1/incidents/${encodeURIComponent(id)}`);
      const tl = await api.request<{ items: TimelineEntry[] }>('GET', `/api/v1/incidents/${encodeURIComponent(id)}/timeline`);
      if (o.json) return void io.stdout.write(JSON.stringify({ incident: inc, timeline: tl.items }) + '\n');
      const lines = [
        `#${inc.id} ${inc.title}`,
        `  type      ${inc.type}${inc.dedup_key ? `  (${inc.dedup_key})` : ''}`,
        `  severity  ${inc.severity}`,
        `  status    ${inc.status}${inc.sla_breached ? '  — SLA breached' : ''}`,
        `  opened    ${shortTime(inc.created_at)}   ack deadline ${shortTime(inc.ack_deadline)}`,
        `  acked     ${shortTime(inc.acknowledged_at)}${inc.acknowledged_by ? ` by ${inc.acknowledged_by}` : ''}`,
        `  resolved  ${shortTime(inc.resolved_at)}${inc.resolved_by ? ` by ${inc.resolved_by}` : ''}`,
        '',
        'Timeline:',
        ...tl.items.map((e) => `  ${shortTime(e.at)}  ${e.kind.padEnd(13)} ${e.actor.padEnd(14)} ${e.message}`),
      ];
      io.stdout.write(lines.join('\n') + '\n');
    });

  const transition = (name: string, verb: string, description: string) =>
    cmd
      .command(name)
      .description(description)
      .argument('<id>', 'incident id')
      .option('--note <text>', 'a note for the timeline')
      .option('--json', 'print the incident as JSON')
      .action(async (id: string, o: { note?: string; json?: boolean }) => {
        const api = apiClientFromEnv(io.env)!;
        const inc = await api.request<Incident>(
          'POST',
          `/api/v1/incidents/${encodeURIComponent(id)}/${verb}`,
          o.note ? { note: o.note } : {},
        );
        if (o.json) io.stdout.write(JSON.stringify(inc) + '\n');
        else io.stdout.write(`#${inc.id} is now ${inc.status}\n`);
      });
  transition('ack', 'acknowledge', 'acknowledge an incident (stops escalation)');
  transition('resolve', 'resolve', 'resolve an incident');
  transition('reopen', 'reopen', 're-open an acknowledged or resolved incident');

  cmd
    .command('note')
    .description('add a note to the timeline')
    .argument('<id>', 'incident id')
    .argument('<text...>', 'the note')
    .option('--json', 'print the timeline entry as JSON')
    .action(async (id: string, text: string[], o: { json?: boolean }) => {
      const api = apiClientFromEnv(io.env)!;
      const e = await api.request<TimelineEntry>('POST', `/api/v1/incidents/${encodeURIComponent(id)}/notes`, { text: text.join(' ') });
      if (o.json) io.stdout.write(JSON.stringify(e) + '\n');
      else io.stdout.write(`note added to #${id}\n`);
    });
}
