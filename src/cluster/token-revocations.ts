/**
 * Cluster mode: a token revoked on any instance (or by the CLI on the shared
 * database) stops working on every instance at once. A trigger announces the
 * revocation (NOTIFY firebreak_token_revoked, migration 015); each instance
 * drops its token cache (otherwise a cached token stays valid up to 5 s).
 * Dashboard sessions need nothing here: they live in PostgreSQL, revoking
 * deletes them and every lookup checks the token (service/access/sessions.ts). After a lost LISTEN
 * connection the whole cache is dropped, since announcements were missed.
 */
import type { Logger } from 'pino';
import type { Db } from '../store/db.ts';
import { listenChanges, type ChangeListener } from '../store/change-listener.ts';
import { dropTokenCache } from '../service/access/tokens.ts';

export function watchTokenRevocations(o: { db: Db; databaseUrl: string; logger: Logger }): ChangeListener {
  return listenChanges({
    databaseUrl: o.databaseUrl,
    channel: 'firebreak_token_revoked',
    logger: o.logger,
    onPayload: () => dropTokenCache(o.db),
    onReconnect: () => dropTokenCache(o.db),
  });
}
