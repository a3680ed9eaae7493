/**
 * Start-up step 3, dependencies: what the verbs of each capability are called
 * with. `core` is every verb's (service/core/context.ts); capabilities that
 * need more extend it (response: the action registry and outbound webhooks;
 * escalation: channels, the ack-link secret, the public URL). A new capability
 * dependency is built here and added to AppDeps.
 */
import { createOutboundFetch } from '../respond/outbound-fetch.ts';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { Db } from '../store/db.ts';
import { createBus, type Deps } from '../service/core/context.ts';
import { createResponseRuntime } from '../respond/runtime.ts';
import type { RespondDeps } from '../service/response/respond-deps.ts';
import { liftAllowlistedDecisions } from '../service/response/lift-allowlisted-decisions.ts';
import { createChannels } from '../notify/registry.ts';
import { loadAckSecret, type EscalationDeps } from '../service/escalation/escalation-deps.ts';
import { fallbackLogChannelName } from '../service/escalation/escalation-policy.ts';

export interface AppDeps {
  core: Deps;
  respond: RespondDeps;
  escalation: EscalationDeps;
  /** Called once the server listens: links in notifications use that address while `server.public_url` is unset. */
  setListeningAt(address: string): void;
}

export async function buildDependencies(config: Config, db: Db, o: { logger: Logger; clock: () => Date }): Promise<AppDeps> {
  const { logger, clock } = o;
  const core: Deps = { db, config, clock, logger, bus: createBus(logger) };

  // Automated response (decisions, allowlist, actions). The notify action's
  // hook is record-only until channels are wired here (`notify:` option).
  const outboundFetch = createOutboundFetch({ allow: config.outbound.allow }); // webhooks refuse private addresses (docs/security.md)
  const response = createResponseRuntime({ app: config.app, timeoutMs: config.actions.timeout, logger, webhookFetch: outboundFetch });
  const respond: RespondDeps = { ...core, response };
  await liftAllowlistedDecisions(core);

  // Escalation and notification: channels from `channels:` plus a log channel
  // (the built-in policy's fallback); links point at server.public_url or,
  // once known, the address we listen on.
  const logChannel = fallbackLogChannelName(config.channels);
  const channelConfigs = config.channels.some((c) => c.name === logChannel)
    ? config.channels
    : [...config.channels, { name: logChannel, type: 'log' as const }];
  let listeningAt: string | null = null;
  const escalation: EscalationDeps = {
    ...core,
    channels: createChannels(channelConfigs, { logger, timeoutMs: config.notifications.timeout, fetch: outboundFetch }),
    logChannel,
    ackSecret: await loadAckSecret(core),
    publicUrl: () => (config.server.public_url ?? listeningAt ?? `http://${config.server.host}:${config.server.port}`).replace(/\/+$/, ''),
  };

  return { core, respond, escalation, setListeningAt: (a) => void (listeningAt = a) };
}
