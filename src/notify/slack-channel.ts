/**
 * Slack-compatible incoming-webhook channel (Slack, Mattermost, Rocket.Chat
 * accept the same body). The body has a plain `text` fallback (shown in
 * notifications and by clients without Block Kit) and `blocks`:
 *   header  — `[SEVERITY] title`
 *   section — fields Type, Status, Ack deadline (+ escalation level)
 *   section — description, when there is one
 *   actions — an "Acknowledge" link button to the ack URL, when there is one
 *
 * The webhook URL itself is the credential, so it never appears in errors.
 * Delivery and retry verdicts are those of `postJson` (webhook-channel.ts).
 */
import { describeNotification, type Channel, type Notification } from './channel.ts';
import { postJson, type HttpChannelDeps } from './webhook-channel.ts';

export interface SlackChannelConfig {
  name: string;
  url: string;
}

// Block Kit limits: header text 150 chars, section text 3000, field 2000, button url 3000.
const HEADER_MAX = 150;
const TEXT_MAX = 3000;
const FIELD_MAX = 2000;

function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/** Slack mrkdwn needs only `&`, `<` and `>` escaped; anything else is literal. */
export function escapeMrkdwn(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The JSON body posted to the incoming webhook. */
export function slackBody(msg: Notification): { text: string; blocks: Record<string, unknown>[] } {
  const inc = msg.incident;
  const fields = [
    `*Type*\n${escapeMrkdwn(inc.type)}`,
    `*Status*\n${escapeMrkdwn(inc.status)}`,
    `*Ack deadline*\n${escapeMrkdwn(inc.ack_deadline)}`,
  ];
  if (msg.level !== undefined) fields.push(`*Escalation level*\n${msg.level}`);
  const blocks: Record<string, unknown>[] = [
    // plain_text is not interpreted, so the title is not escaped here.
    { type: 'header', text: { type: 'plain_text', text: clip(`[${inc.severity.toUpperCase()}] ${inc.title}`, HEADER_MAX), emoji: false } },
    { type: 'section', fields: fields.map((f) => ({ type: 'mrkdwn', text: clip(f, FIELD_MAX) })) },
  ];
  const about = [inc.description, msg.text]
    .filter((s): s is string => !!s)
    .map(escapeMrkdwn)
    .join('\n');
  if (about) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: clip(about, TEXT_MAX) } });
  const elements: Record<string, unknown>[] = [];
  if (msg.ackUrl && /^https?:\/\//.test(msg.ackUrl)) {
    elements.push({
      type: 'button',
      text: { type: 'plain_text', text: 'Acknowledge' },
      url: msg.ackUrl,
      style: 'danger',
      action_id: 'firebreak_ack',
    });
  }
  if (inc.url && /^https?:\/\//.test(inc.url)) {
    elements.push({ type: 'button', text: { type: 'plain_text', text: 'Open incident' }, url: inc.url, action_id: 'firebreak_open' });
  }
  if (elements.length > 0) blocks.push({ type: 'actions', elements });
  return { text: escapeMrkdwn(describeNotification(msg)), blocks };
}

/** Creates a Slack-compatible incoming-webhook channel. */
export function createSlackChannel(config: SlackChannelConfig, deps: HttpChannelDeps = {}): Channel {
  return {
    name: config.name,
    type: 'slack',
    send(msg, signal) {
      return postJson(config.name, config.url, JSON.stringify(slackBody(msg)), {}, deps, signal);
    },
  };
}
