import type { Command } from 'commander';
import { readFileSync, writeFileSync } from 'node:fs';
import type { CliIo } from './io.ts';
import { apiClientFromEnv } from './api-client.ts';
import { rawApiFromEnv } from './api-raw.ts';
import { withLocalDeps, LOCAL_OPERATOR } from './local-deps.ts';
import { renderTable, shortTime } from './table.ts';
import { AppError } from '../errors.ts';
import { exportedFrom, parsePostmortem } from '../domain/postmortem-markdown.ts';
import { exportPostmortemMarkdown, listPostmortems, type PostmortemView } from '../service/after-incident/query-postmortems.ts';
import { updatePostmortem } from '../service/after-incident/update-postmortem.ts';

interface Common {
  config?: string;
  dataDir?: string;
  json?: boolean;
}

/**
 * `firebreak postmortem list|export|import`: through the API when
 * FIREBREAK_URL and FIREBREAK_TOKEN are set, otherwise directly on the
 * database (server stopped). `export` writes the whole post-mortem as
 * Markdown; `import` reads back the title and the written sections of an
 * edited export.
 */
export function registerPostmortemCommand(program: Command, io: CliIo): void {
  const cmd = program
    .command('postmortem')
    .description('post-mortems drafted when incidents resolve: list, export as Markdown, import an edited export')
    .addHelpText(
      'after',
      `\nExamples:\n  firebreak postmortem list --overdue\n  firebreak postmortem export 3 --output pm-3.md\n  $EDITOR pm-3.md && firebreak postmortem import 3 pm-3.md --status in_review`,
    );
  const common = (c: Command) =>
    c
      .option('-c, --config <file>', 'configuration file (for direct database access)')
      .option('--data-dir <dir>', 'data directory (for direct database access)');

  common(cmd.command('list').description('list post-mortems, newest first'))
    .option('--overdue', 'only unpublished post-mortems past their due date')
    .option('--status <list>', 'comma-separated: draft,in_review,published')
    .option('--incident <id>', 'the post-mortem of this incident')
    .option('--json', 'print the API answer as JSON')
    .action(async (o: Common & { overdue?: boolean; status?: string; incident?: string }) => {
      const query: Record<string, string> = { limit: '500' };
      if (o.overdue) query.overdue = 'true';
      if (o.status) query.status = o.status;
      if (o.incident) query.incident_id = o.incident;
      const api = apiClientFromEnv(io.env, false);
      const page = api
        ? await api.request<{ items: (Omit<PostmortemView, 'timeline'> & { timeline_count: number })[]; next_cursor: string | null }>(
            'GET',
            `/api/v1/postmortems?${new URLSearchParams(query)}`,
          )
        : await withLocalDeps({ ...o, env: io.env }, (d) => listPostmortems(d, LOCAL_OPERATOR, query));
      if (o.json) return void io.stdout.write(JSON.stringify(page) + '\n');
      io.stdout.write(
        renderTable(
          ['ID', 'INCIDENT', 'STATUS', 'DUE', 'REMINDERS', 'TITLE'],
          page.items.map((p) => [
            p.id,
            p.incident_id,
            p.status,
            `${shortTime(p.due_at)}${p.overdue ? ' (overdue)' : ''}`,
            p.reminders,
            p.title,
          ]),
        ),
      );
    });

  common(cmd.command('export').description('write a post-mortem as Markdown to stdout or a file').argument('<id>', 'post-mortem id'))
    .option('-o, --output <file>', 'write to this file instead of stdout')
    .action(async (id: string, o: Common & { output?: string }) => {
      const raw = rawApiFromEnv(io.env);
      const md = raw
        ? await (await raw.fetch('GET', `/api/v1/postmortems/${encodeURIComponent(id)}/markdown`)).text()
        : await withLocalDeps({ ...o, env: io.env }, (d) => exportPostmortemMarkdown(d, LOCAL_OPERATOR, id));
      if (!o.output) return void io.stdout.write(md);
      writeFileSync(o.output, md);
      io.stderr.write(`post-mortem ${id} written to ${o.output}\n`);
    });

  common(
    cmd
      .command('import')
      .description('update a post-mortem from an edited Markdown export (title and written sections)')
      .argument('<id>', 'post-mortem id')
      .argument('<file>', 'the edited Markdown file ("-" for stdin)'),
  )
    .option('--status <status>', 'also set the status: draft, in_review or published')
    .option('--force', 'overwrite even if the post-mortem changed since the export')
    .option('--json', 'print the updated post-mortem as JSON')
    .action(async (id: string, file: string, o: Common & { status?: string; force?: boolean }) => {
      let text: string;
      try {
        text = readFileSync(file === '-' ? 0 : file, 'utf8');
      } catch (err) {
        throw new AppError('invalid', `cannot read ${file}: ${(err as Error).message}`, { cause: err });
      }
      const from = exportedFrom(text);
      if (from && from.id !== id) throw new AppError('invalid', `${file} is an export of post-mortem ${from.id}, not ${id}`);
      const body: Record<string, unknown> = { ...parsePostmortem(text) };
      if (Object.keys(body).length === 0)
        throw new AppError(
          'invalid',
          `${file} has no post-mortem sections (## Summary, ## Root cause, …); export one with \`firebreak postmortem export ${id}\``,
        );
      if (o.status) body.status = o.status;
      if (from && !o.force) body.version = from.version;
      const api = apiClientFromEnv(io.env, false);
      const pm = api
        ? await api.request<PostmortemView>('PUT', `/api/v1/postmortems/${encodeURIComponent(id)}`, body)
        : await withLocalDeps({ ...o, env: io.env }, (d) => updatePostmortem(d, LOCAL_OPERATOR, id, body));
      if (o.json) io.stdout.write(JSON.stringify(pm) + '\n');
      else io.stdout.write(`post-mortem ${pm.id} updated (version ${pm.version}, ${pm.status})\n`);
    });
}
