/**
 * The default automated actions of an incident type: those of the (resolved,
 * configured) rule that opens incidents of that type. What the actions API
 * and `firebreak respond` run when the caller names none.
 */
import { AppError } from '../../errors.ts';
import type { Config } from '../../config.ts';
import { resolveRules } from '../../domain/rules/default-rules.ts';
import type { ActionRequest } from '../../domain/rules/rule-spec.ts';

export function defaultActionsFor(config: Pick<Config, 'rules'>, incidentType: string): { rule: string; actions: ActionRequest[] } {
  const rule = resolveRules(config.rules).find((r) => r.incident_type === incidentType);
  if (!rule) {
    throw new AppError(
      'invalid',
      `no rule opens incidents of type "${incidentType}", so it has no default actions; give actions explicitly`,
      { details: [{ path: 'actions', message: `required for type ${incidentType}` }] },
    );
  }
  return { rule: rule.name, actions: structuredClone(rule.actions) };
}
