/**
 * Runbook steps of an incident's run (role with `incidents:write`; every call audited):
 *
 *   POST /api/v1/incidents/{id}/steps/{step}/complete {note?}   manual step done
 *   POST /api/v1/incidents/{id}/steps/{step}/approve  {note?}   run a gated command once
 *   POST /api/v1/incidents/{id}/steps/{step}/retry    {note?}   a failed step again
 *   POST /api/v1/incidents/{id}/steps/{step}/skip     {reason?} not needed
 *
 * Each answers the run (the `run` object of GET /api/v1/incidents/{id}).
 */
import type { FastifyInstance } from 'fastify';
import type { HttpContext } from '../http-context.ts';
import { completeRunbookStep } from '../../service/runbooks/complete-runbook-step.ts';
import { approveRunbookStep } from '../../service/runbooks/approve-runbook-step.ts';
import { retryRunbookStep } from '../../service/runbooks/retry-runbook-step.ts';
import { skipRunbookStep } from '../../service/runbooks/skip-runbook-step.ts';

type StepParams = { Params: { id: string; step: string } };

export function runbookStepRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const rt = ctx.runbooks;
  const verbs = { complete: completeRunbookStep, approve: approveRunbookStep, retry: retryRunbookStep, skip: skipRunbookStep } as const;
  for (const [verb, fn] of Object.entries(verbs)) {
    app.post<StepParams>(`/api/v1/incidents/:id/steps/:step/${verb}`, async (req) => {
      const actor = await ctx.actor(req, 'incidents:write');
      return fn(ctx.deps, rt, actor, req.params.id, req.params.step, req.body ?? undefined);
    });
  }
}
