/**
 * Log channel: writes one structured line per notification through an
 * injected logger (pino in production). Useful as a default, in development,
 * and as an audit trail beside real channels.
 *
 * The ack URL is a bearer credential, so it is never logged; only whether one
 * was present.
 */
import { describeNotification, type Channel } from './channel.ts';

/** The part of a pino logger this channel needs. */
export interface NotifyLogger {
  info(obj: object, msg?: string): void;
}

export interface LogChannelConfig {
  name: string;
}

/** Creates a channel that logs notifications. It fails only if the logger throws. */
export function createLogChannel(config: LogChannelConfig, logger: NotifyLogger): Channel {
  return {
    name: config.name,
    type: 'log',
    async send(msg) {
      try {
        logger.info(
          {
            channel: config.name,
            event: msg.kind,
            incident_id: msg.incident.id,
            incident_type: msg.incident.type,
            severity: msg.incident.severity,
            status: msg.incident.status,
            // not `level`: that key is pino's log level.
            escalation_level: msg.level,
            recipient: msg.recipient?.id,
            has_ack_link: msg.ackUrl !== undefined,
          },
          describeNotification(msg),
        );
        return { ok: true, retryable: false };
      } catch (err) {
        return { ok: false, error: `${config.name}: ${err instanceof Error ? err.message : String(err)}`, retryable: false };
      }
    },
  };
}
