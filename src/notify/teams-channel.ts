/**
 * Microsoft Teams channel: posts an Adaptive Card to a Teams Workflows
 * (Power Automate "When a Teams webhook request is received") URL, the
 * replacement for the retired Office 365 connectors. The body is the message
 * shape those workflows expect:
 *
 *   { type: "message",
 *     attachments: [{ contentType: "application/vnd.microsoft.card.adaptive",
 *                     content: { type: "AdaptiveCard", version: "1.4",
 *                                body: [ title, facts, description ],
 *                                actions: [ Action.OpenUrl "Acknowledge", Action.OpenUrl "Open incident" ] } }] }
 *
 * Workflows answer 202 Accepted. The URL carries its own signature (`sig=`),
 * so it is a credential: it never appears in errors. Delivery and retry
 * verdicts are those of `postJson` (webhook-channel.ts), like Slack's.
 */
import { describeNotification, type Channel, type Notification } from './channel.ts';
import { postJson, type HttpChannelDeps } from './webhook-channel.ts';

export interface TeamsChannelConfig {
  name: string;
  url: string;
}

export const ADAPTIVE_CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive';
/** 1.4 is what Teams renders on desktop, web and mobile. */
export const ADAPTIVE_CARD_VERSION = '1.4';

// Teams refuses messages past about 28 KB; these keep a card well under it.
const TITLE_MAX = 300;
const DESCRIPTION_MAX = 4000;

function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/**
 * TextBlock and FactSet text is Markdown in Teams. Incident titles carry
 * attacker-chosen text (user names, paths), so the characters that make
 * links, emphasis or code are escaped: a title cannot draw a fake
 * "Acknowledge" link of its own.
 */
export function escapeCardMarkdown(s: string): string {
  return s.replace(/[\\`*_~[\]<>]/g, (c) => `\\${c}`);
}

// Adaptive Card colors: attention (red), warning (amber), accent, default.
const SEVERITY_COLOR: Record<string, string> = { critical: 'attention', high: 'attention', medium: 'warning', low: 'accent' };

/** The JSON body posted to the workflow URL. */
export function teamsBody(msg: Notification): Record<string, unknown> {
  const inc = msg.incident;
  const facts = [
    { title: 'Severity', value: inc.severity.toUpperCase() },
    { title: 'Type', value: escapeCardMarkdown(inc.type) },
    { title: 'Status', value: escapeCardMarkdown(inc.status) },
    { title: 'Ack deadline', value: inc.ack_deadline },
    { title: 'Incident', value: escapeCardMarkdown(inc.id) },
  ];
  if (msg.level !== undefined) facts.push({ title: 'Escalation level', value: String(msg.level) });
  const body: Record<string, unknown>[] = [
    {
      type: 'TextBlock',
      text: escapeCardMarkdown(clip(`[${inc.severity.toUpperCase()}] ${inc.title}`, TITLE_MAX)),
      size: 'Large',
      weight: 'Bolder',
      color: SEVERITY_COLOR[inc.severity] ?? 'default',
      wrap: true,
    },
    { type: 'TextBlock', text: escapeCardMarkdown(describeNotification(msg)), isSubtle: true, wrap: true },
    { type: 'FactSet', facts },
  ];
  if (inc.description) body.push({ type: 'TextBlock', text: escapeCardMarkdown(clip(inc.description, DESCRIPTION_MAX)), wrap: true });
  const actions: Record<string, unknown>[] = [];
  // Only http(s) links become buttons: anything else is not a link we made.
  if (msg.ackUrl && /^https?:\/\//.test(msg.ackUrl)) actions.push({ type: 'Action.OpenUrl', title: 'Acknowledge', url: msg.ackUrl });
  if (inc.url && /^https?:\/\//.test(inc.url)) actions.push({ type: 'Action.OpenUrl', title: 'Open incident', url: inc.url });
  return {
    type: 'message',
    attachments: [
      {
        contentType: ADAPTIVE_CARD_CONTENT_TYPE,
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: ADAPTIVE_CARD_VERSION,
          msteams: { width: 'Full' },
          body,
          actions,
        },
      },
    ],
  };
}

/** Creates a Microsoft Teams (Workflows webhook) channel. */
export function createTeamsChannel(config: TeamsChannelConfig, deps: HttpChannelDeps = {}): Channel {
  return {
    name: config.name,
    type: 'teams',
    send(msg, signal) {
      return postJson(config.name, config.url, JSON.stringify(teamsBody(msg)), {}, deps, signal);
    },
  };
}
