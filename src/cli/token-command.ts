import type { Command } from 'commander';
import type { CliIo } from './io.ts';
import { apiClientFromEnv } from './api-client.ts';
import { withLocalDeps, LOCAL_OPERATOR } from './local-deps.ts';
import { createToken, listTokens, revokeToken, type CreatedToken } from '../service/access/tokens.ts';
import type { TokenRecord } from '../store/token-repo.ts';
import { renderTable, shortTime } from './table.ts';
import { ROLES } from '../domain/roles.ts';

interface Common {
  config?: string;
  dataDir?: string;
  json?: boolean;
}

/**
 * `firebreak token create|list|revoke`: through the API when FIREBREAK_URL and
 * FIREBREAK_TOKEN are set, otherwise directly on the database (server stopped).
 */
export function registerTokenCommand(program: Command, io: CliIo): void {
  const token = program
    .command('token')
    .description('manage API tokens (through the API when FIREBREAK_URL/FIREBREAK_TOKEN are set, else directly on the database)')
    .addHelpText(
      'after',
      `\nRoles: ${ROLES.join(', ')}\n\nExamples:\n  firebreak token create --role ingest --name web-app\n  firebreak token list\n  firebreak token revoke tok_1a2b3c4d5e6f`,
    );
  const common = (c: Command) =>
    c
      .option('-c, --config <file>', 'configuration file (for direct database access)')
      .option('--data-dir <dir>', 'data directory (for direct database access)')
      .option('--json', 'print JSON');

  common(token.command('create').description('create a token; prints the secret alone on the last line (shown only once)'))
    .requiredOption('--role <role>', `one of ${ROLES.join(', ')}`)
    .requiredOption('--name <name>', 'a name to recognise it by')
    .action(async (o: Common & { role: string; name: string }) => {
      const api = apiClientFromEnv(io.env, false);
      const t = api
        ? await api.request<CreatedToken>('POST', '/api/v1/tokens', { role: o.role, name: o.name })
        : await withLocalDeps({ ...o, env: io.env }, (d) => createToken(d, LOCAL_OPERATOR, { role: o.role, name: o.name }));
      if (o.json) io.stdout.write(JSON.stringify(t) + '\n');
      else io.stdout.write(`created token ${t.id} (${t.role}, "${t.name}"); the secret is shown only now:\n${t.token}\n`);
    });

  common(token.command('list').description('list active tokens (never their secrets)'))
    .option('--all', 'include revoked tokens')
    .action(async (o: Common & { all?: boolean }) => {
      const api = apiClientFromEnv(io.env, false);
      const items = api
        ? (await api.request<{ items: TokenRecord[] }>('GET', `/api/v1/tokens${o.all ? '?include_revoked=true' : ''}`)).items
        : await withLocalDeps({ ...o, env: io.env }, (d) => listTokens(d, LOCAL_OPERATOR, !!o.all));
      if (o.json) io.stdout.write(JSON.stringify({ items, next_cursor: null }) + '\n');
      else
        io.stdout.write(
          renderTable(
            ['ID', 'NAME', 'ROLE', 'PREFIX', 'CREATED', 'LAST USED', 'REVOKED'],
            items.map((t) => [
              t.id,
              t.name,
              t.role,
              t.prefix + '…',
              shortTime(t.created_at),
              shortTime(t.last_used_at),
              shortTime(t.revoked_at),
            ]),
          ),
        );
    });

  common(token.command('revoke').description('revoke a token by id').argument('<id>', 'token id (tok_…)')).action(
    async (id: string, o: Common) => {
      const api = apiClientFromEnv(io.env, false);
      const t = api
        ? await api.request<TokenRecord>('DELETE', `/api/v1/tokens/${encodeURIComponent(id)}`)
        : await withLocalDeps({ ...o, env: io.env }, (d) => revokeToken(d, LOCAL_OPERATOR, id));
      if (o.json) io.stdout.write(JSON.stringify(t) + '\n');
      else io.stdout.write(`revoked ${t.id} (${t.role}, "${t.name}")\n`);
    },
  );
}
