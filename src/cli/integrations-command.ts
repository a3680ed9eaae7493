import type { Command } from 'commander';
import type { CliIo } from './io.ts';
import { apiClientFromEnv } from './api-client.ts';
import { renderTable, shortTime } from './table.ts';
import type { IntegrationRecord } from '../store/integration-repo.ts';

/** `firebreak integrations create|list|revoke` against a running server (admin token). */
export function registerIntegrationsCommand(program: Command, io: CliIo): void {
  const cmd = program
    .command('integrations')
    .description('integration keys for Alertmanager and PagerDuty-style senders (needs FIREBREAK_URL and an admin FIREBREAK_TOKEN)')
    .addHelpText(
      'after',
      `\nExamples:\n  firebreak integrations create --name prometheus --type alertmanager\n  firebreak integrations create --name legacy-monitor --type pagerduty --default-severity medium\n  firebreak integrations list\n  firebreak integrations revoke int_0123456789ab`,
    );

  cmd
    .command('create')
    .description('create an integration; prints the key alone on the last line (shown only once)')
    .requiredOption('--name <name>', 'a name; incidents say integration:<name>')
    .requiredOption('--type <type>', 'alertmanager or pagerduty')
    .option('--default-severity <severity>', 'severity when the alert has none we know (default high)')
    .option('--json', 'print JSON')
    .action(async (o: { name: string; type: string; defaultSeverity?: string; json?: boolean }) => {
      const api = apiClientFromEnv(io.env)!;
      const r = await api.request<IntegrationRecord & { key: string }>('POST', '/api/v1/integrations', {
        name: o.name,
        type: o.type,
        ...(o.defaultSeverity ? { default_severity: o.defaultSeverity } : {}),
      });
      if (o.json) return void io.stdout.write(JSON.stringify(r) + '\n');
      const where =
        r.type === 'alertmanager'
          ? `webhook URL: ${api.url}/api/v1/integrations/alertmanager/<key>`
          : `send to ${api.url}/v2/enqueue with the key as routing_key`;
      io.stdout.write(`created integration ${r.id} (${r.type}, "${r.name}"); ${where}\nthe key is shown only now:\n${r.key}\n`);
    });

  cmd
    .command('list')
    .description('list integrations (never their keys)')
    .option('--all', 'include revoked ones')
    .option('--json', 'print JSON')
    .action(async (o: { all?: boolean; json?: boolean }) => {
      const page = await apiClientFromEnv(io.env)!.request<{ items: IntegrationRecord[] }>(
        'GET',
        `/api/v1/integrations${o.all ? '?include_revoked=true' : ''}`,
      );
      if (o.json) return void io.stdout.write(JSON.stringify(page) + '\n');
      io.stdout.write(
        renderTable(
          ['ID', 'NAME', 'TYPE', 'KEY', 'CREATED', 'LAST USED', 'REVOKED'],
          page.items.map((i) => [
            i.id,
            i.name,
            i.type,
            `${i.key_prefix}…`,
            shortTime(i.created_at),
            shortTime(i.last_used_at),
            shortTime(i.revoked_at),
          ]),
        ),
      );
    });

  cmd
    .command('revoke')
    .description('revoke an integration key')
    .argument('<id>', 'integration id (int_…)')
    .action(async (id: string) => {
      const r = await apiClientFromEnv(io.env)!.request<IntegrationRecord>('DELETE', `/api/v1/integrations/${encodeURIComponent(id)}`);
      io.stdout.write(`revoked ${r.id} (${r.type}, "${r.name}")\n`);
    });
}
