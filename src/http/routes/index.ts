/**
 * Every route module, in registration order. Each has one signature,
 * `(app, ctx)`: what a route needs beyond the core dependencies comes from
 * the context (http-context.ts). A new module is one line here.
 */
import type { RoutePlugin } from '../http-context.ts';
import { healthRoutes } from './health.ts';
import { tokenRoutes } from './tokens.ts';
import { incidentRoutes } from './incidents.ts';
import { metricsRoutes } from './metrics.ts';
import { eventRoutes } from './events.ts';
import { detectionRoutes } from './detections.ts';
import { statsRoutes } from './stats.ts';
import { runbookStepRoutes } from './runbook-steps.ts';
import { sessionRoutes } from './session.ts';
import { escalationRoutes } from './escalations.ts';
import { scheduleRoutes } from './schedules.ts';
import { ackLinkRoutes } from './ack-links.ts';
import { integrationRoutes } from './integrations.ts';
import { alertmanagerRoutes } from './alertmanager.ts';
import { pagerdutyRoutes } from './pagerduty.ts';
import { postmortemRoutes } from './postmortems.ts';
import { actionItemRoutes } from './action-items.ts';
import { analyticsRoutes } from './analytics.ts';
import { backupRoutes } from './backups.ts';
import { decisionRoutes } from './decisions.ts';
import { allowlistRoutes } from './allowlist.ts';
import { bouncerRoutes } from './bouncer.ts';
import { incidentActionRoutes } from './incident-actions.ts';
import { staticRoutes } from './static.ts';

export const ROUTES: readonly RoutePlugin[] = [
  healthRoutes,
  tokenRoutes,
  incidentRoutes,
  metricsRoutes,
  eventRoutes,
  detectionRoutes,
  statsRoutes,
  runbookStepRoutes,
  sessionRoutes,
  escalationRoutes,
  scheduleRoutes,
  ackLinkRoutes,
  integrationRoutes,
  alertmanagerRoutes,
  pagerdutyRoutes,
  postmortemRoutes,
  actionItemRoutes,
  analyticsRoutes,
  backupRoutes,
  decisionRoutes,
  allowlistRoutes,
  bouncerRoutes,
  incidentActionRoutes,
  // Last: the dashboard's GET wildcard (its SPA fallback answers paths no route above took).
  staticRoutes,
];
