import { AppError } from '../../errors.ts';
import { can, type Permission } from '../../domain/roles.ts';
import type { Actor } from '../core/context.ts';

/** Throws forbidden unless the actor's role grants the permission. The system actor may do anything. */
export function authorize(actor: Actor, permission: Permission): void {
  if (actor.role === 'system') return;
  if (!can(actor.role, permission)) {
    throw new AppError('forbidden', `role ${actor.role} may not do this (needs ${permission})`);
  }
}
