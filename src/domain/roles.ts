/**
 * Roles and what they may do. One table; every route names the permission it
 * needs and the HTTP layer checks it before calling a verb.
 *
 *   admin      everything
 *   responder  read all; act on incidents, decisions, allowlist, runbook steps
 *   viewer     read incidents, decisions, health, schedules
 *   ingest     post events only
 *   bouncer    read decisions through the CrowdSec-compatible API only
 */
export const ROLES = ['admin', 'responder', 'viewer', 'ingest', 'bouncer'] as const;
export type Role = (typeof ROLES)[number];

export type Permission = 'read' | 'incidents:write' | 'decisions:write' | 'events:write' | 'bouncer:read' | 'admin';

const GRANTS: Readonly<Record<Role, readonly Permission[]>> = {
  admin: ['read', 'incidents:write', 'decisions:write', 'events:write', 'bouncer:read', 'admin'],
  responder: ['read', 'incidents:write', 'decisions:write'],
  viewer: ['read'],
  ingest: ['events:write'],
  bouncer: ['bouncer:read'],
};

export function can(role: Role, permission: Permission): boolean {
  return GRANTS[role].includes(permission);
}

export function isRole(s: unknown): s is Role {
  return typeof s === 'string' && (ROLES as readonly string[]).includes(s);
}
