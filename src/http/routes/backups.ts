import type { FastifyInstance } from 'fastify';
import type { HttpContext } from '../http-context.ts';
import { createBackup } from '../../service/backup/create-backup.ts';
import { listBackups } from '../../service/backup/list-backups.ts';
import { exportBackup } from '../../service/backup/export-backup.ts';

/**
 * Backups (admin only: they hold token hashes and the audit log).
 * `POST /api/v1/backups` writes one into the server's `<data_dir>/backups/`;
 * `GET /api/v1/backups` lists them; `GET /api/v1/backups/export` streams a
 * fresh one to the client (what `firebreak backup create` uses while a server
 * holds the embedded database). Restores are CLI-only, with the server stopped.
 */
export function backupRoutes(app: FastifyInstance, ctx: HttpContext): void {
  app.post('/api/v1/backups', async (req, reply) => reply.code(201).send(await createBackup(ctx.deps, await ctx.actor(req, 'admin'))));
  app.get('/api/v1/backups', async (req) => {
    const r = listBackups(ctx.deps, await ctx.actor(req, 'admin'));
    return { items: r.items, next_cursor: null, dir: r.dir };
  });
  app.get('/api/v1/backups/export', async (req, reply) => {
    const d = await exportBackup(ctx.deps, await ctx.actor(req, 'admin'));
    return reply
      .type('application/gzip')
      .header('content-length', String(d.bytes))
      .header('content-disposition', `attachment; filename="${d.file}"`)
      .header('x-firebreak-backup-rows', String(d.rows))
      .send(d.stream);
  });
}
