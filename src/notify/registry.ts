/**
 * The one place that maps a configured channel `type` to its implementation.
 * Adding a channel type = one file beside this one + one case here (and its
 * schema branch in config.ts). The switch is exhaustive: a new config type
 * that is not handled here fails type-checking.
 */
import type { Config } from '../config.ts';
import { AppError } from '../errors.ts';
import type { Channel } from './channel.ts';
import { createEmailChannel } from './email-channel.ts';
import { createLogChannel, type NotifyLogger } from './log-channel.ts';
import { createSlackChannel } from './slack-channel.ts';
import { createTeamsChannel } from './teams-channel.ts';
import { createWebhookChannel } from './webhook-channel.ts';

/** One entry of `channels:` in the configuration file. */
export type ChannelConfig = Config['channels'][number];

/** What channels need from the composition root. */
export interface ChannelDeps {
  /** Receives the log channel's lines. */
  logger: NotifyLogger;
  /** Per-attempt timeout for every channel; default 10 s. */
  timeoutMs?: number;
  /** HTTP client for webhook, Slack and Teams channels; default the global `fetch`. */
  fetch?: typeof fetch;
  /** Clock for webhook signatures; default `Date.now`. */
  now?: () => number;
}

/** Builds the channel described by one configuration entry. */
export function createChannel(config: ChannelConfig, deps: ChannelDeps): Channel {
  const http = { fetch: deps.fetch, timeoutMs: deps.timeoutMs, now: deps.now };
  switch (config.type) {
    case 'webhook':
      return createWebhookChannel(config, http);
    case 'slack':
      return createSlackChannel(config, http);
    case 'teams':
      return createTeamsChannel(config, http);
    case 'email':
      return createEmailChannel(config, { timeoutMs: deps.timeoutMs });
    case 'log':
      return createLogChannel(config, deps.logger);
    default: {
      const unknown: never = config;
      throw new AppError('invalid', `unknown channel type "${(unknown as { type?: string }).type}"`);
    }
  }
}

/**
 * Builds every configured channel, keyed by name. Throws AppError('invalid')
 * listing every duplicated name (targets say `channel:NAME`, so names must be unique).
 */
export function createChannels(configs: readonly ChannelConfig[], deps: ChannelDeps): ReadonlyMap<string, Channel> {
  const seen = new Map<string, number>();
  const details = [];
  for (const [i, c] of configs.entries()) {
    const first = seen.get(c.name);
    if (first !== undefined)
      details.push({ path: `channels[${i}].name`, message: `"${c.name}" is already the name of channels[${first}]` });
    else seen.set(c.name, i);
  }
  if (details.length > 0) throw new AppError('invalid', 'channel names must be unique', { details });
  return new Map(configs.map((c) => [c.name, createChannel(c, deps)]));
}
