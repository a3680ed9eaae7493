import type { Command } from 'commander';
import type { CliIo } from './io.ts';
import { loadConfig } from '../config.ts';
import { createFirebreak } from '../main.ts';
import { parsePort } from './options.ts';

export function registerServeCommand(program: Command, io: CliIo): void {
  program
    .command('serve')
    .description('run the Firebreak server (HTTP API, detection, response, escalation)')
    .option('-c, --config <file>', 'YAML configuration file (env FIREBREAK_CONFIG)')
    .option('-p, --port <port>', 'port to listen on (env PORT; default 7700)', parsePort)
    .option('--host <host>', 'address to bind (default 127.0.0.1)')
    .option('--data-dir <dir>', 'data directory for the embedded PostgreSQL (env FIREBREAK_DATA_DIR; default ./data)')
    .addHelpText(
      'after',
      `
With no DATABASE_URL, Firebreak keeps its data in an embedded PostgreSQL under
the data directory. On first start it prints an admin token once and writes it
to <data-dir>/admin-token (mode 0600).

Examples:
  firebreak serve
  firebreak serve --port 8080 --config firebreak.yaml
  DATABASE_URL=postgres://postgres@127.0.0.1:5432/firebreak firebreak serve`,
    )
    .action(async (opts: { config?: string; port?: number; host?: string; dataDir?: string }) => {
      const config = loadConfig({
        file: opts.config,
        env: io.env,
        overrides: { port: opts.port, host: opts.host, data_dir: opts.dataDir },
      });
      const fb = await createFirebreak(config);
      const address = await fb.listen();
      const log = fb.deps.logger;
      log.info(
        { address, storage: fb.deps.db.kind },
        `Firebreak ${address} (storage: ${fb.deps.db.kind === 'embedded' ? `embedded PostgreSQL in ${config.data_dir}` : 'PostgreSQL server'})`,
      );
      io.stderr.write(`Firebreak is listening on ${address}\n`);
      if (fb.generatedAdminToken) {
        io.stdout.write(
          `\nFirst start: an admin token was created. It is shown only once and saved to\n  ${fb.generatedAdminToken.file}\n\n  FIREBREAK_TOKEN=${fb.generatedAdminToken.token}\n\n` +
            `Dashboard: ${address}/ (sign in with this token)\nAPI:       curl -H "Authorization: Bearer $FIREBREAK_TOKEN" ${address}/api/v1/incidents\n\n`,
        );
      }
      await new Promise<void>((resolve) => {
        let stopping = false;
        const stop = (sig: string) => {
          if (stopping) return;
          stopping = true;
          log.info({ signal: sig }, 'shutting down');
          const force = setTimeout(() => process.exit(1), 10_000);
          force.unref();
          fb.close().then(resolve, (err: unknown) => {
            log.error({ err }, 'error during shutdown');
            resolve();
          });
        };
        process.once('SIGTERM', () => stop('SIGTERM'));
        process.once('SIGINT', () => stop('SIGINT'));
      });
    });
}
