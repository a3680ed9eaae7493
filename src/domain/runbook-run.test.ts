import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AppError } from '../errors.ts';
import { Runbook } from './runbook.ts';
import {
  approveStep,
  boundOutput,
  completeManualStep,
  isRunFinished,
  markStepRunning,
  MAX_OUTPUT_BYTES,
  nextAutomatedSteps,
  recordCheck,
  recordStepResult,
  retryStep,
  skipStep,
  startRun,
  verificationSatisfied,
  type RunState,
  type StepStatus,
} from './runbook-run.ts';

const RB = Runbook.parse({
  type: 'demo',
  title: 'Demo',
  severity: 'high',
  immediate_actions: [
    { id: 'act', title: 'Block', action: 'block_ip', params: { duration: '1h' } },
    { id: 'ro', title: 'Read-only check', command: 'curl http://x', approval: 'none' },
    { id: 'gated', title: 'Restart', command: 'systemctl restart app' },
    { id: 'man', title: 'Look around', manual: 'look' },
  ],
  verification: [
    { id: 'rule', title: 'quiet', rule: 'r', below_for: '5m' },
    { id: 'http', title: 'up', http: { url: 'http://x/healthz' } },
    { id: 'human', title: 'human says ok', manual: 'ask' },
  ],
});
const T0 = 1_000_000;

test('startRun: initial state per step kind, checks unknown, runbook copied', () => {
  const s = startRun(RB, T0);
  assert.deepEqual(
    s.steps.map((x) => [x.id, x.kind, x.status, x.attempts]),
    [
      ['act', 'action', 'pending', 0],
      ['ro', 'command', 'pending', 0],
      ['gated', 'command', 'awaiting_approval', 0],
      ['man', 'manual', 'pending', 0],
    ],
  );
  assert.deepEqual(
    s.checks.map((c) => [c.id, c.kind, c.status, c.holdMs]),
    [
      ['rule', 'rule', 'unknown', 300_000],
      ['http', 'http', 'unknown', 0],
      ['human', 'manual', 'unknown', 0],
    ],
  );
  assert.notEqual(s.runbook, RB, 'the run keeps its own copy');
  assert.deepEqual(s.runbook, RB);
});

type Op = (s: RunState, id: string) => RunState;
const OPS: Record<string, Op> = {
  complete: (s, id) => completeManualStep(s, id, 'alice', 'seen', T0 + 1),
  approve: (s, id) => approveStep(s, id, 'bob', T0 + 1),
  run: (s, id) => markStepRunning(s, id, T0 + 1),
  ok: (s, id) => recordStepResult(s, id, { ok: true, output: 'fine' }, T0 + 1),
  fail: (s, id) => recordStepResult(s, id, { ok: false, error: 'boom' }, T0 + 1),
  retry: (s, id) => retryStep(s, id, T0 + 1),
  skip: (s, id) => skipStep(s, id, 'carol', 'not needed', T0 + 1),
};

// [step, operations applied in turn, final status or 'conflict' when the last one must be refused]
const TABLE: [string, string[], StepStatus | 'conflict'][] = [
  ['man', ['complete'], 'done'],
  ['man', ['complete', 'complete'], 'conflict'],
  ['man', ['run'], 'conflict'],
  ['man', ['approve'], 'conflict'],
  ['man', ['skip'], 'skipped'],
  ['act', ['run'], 'running'],
  ['act', ['run', 'ok'], 'succeeded'],
  ['act', ['run', 'fail'], 'failed'],
  ['act', ['run', 'fail', 'retry'], 'pending'],
  ['act', ['run', 'fail', 'retry', 'run', 'ok'], 'succeeded'],
  ['act', ['ok'], 'conflict'],
  ['act', ['run', 'run'], 'conflict'],
  ['act', ['run', 'ok', 'retry'], 'conflict'],
  ['act', ['run', 'ok', 'skip'], 'conflict'],
  ['act', ['run', 'skip'], 'conflict'],
  ['act', ['approve'], 'conflict'],
  ['act', ['complete'], 'conflict'],
  ['ro', ['run', 'ok'], 'succeeded'],
  ['ro', ['approve'], 'conflict'],
  ['ro', ['run', 'fail', 'retry'], 'pending'],
  ['gated', ['run'], 'conflict'],
  ['gated', ['approve'], 'approved'],
  ['gated', ['approve', 'approve'], 'conflict'],
  ['gated', ['approve', 'run', 'ok'], 'succeeded'],
  ['gated', ['approve', 'run', 'fail', 'retry'], 'awaiting_approval'],
  ['gated', ['approve', 'run', 'fail', 'retry', 'run'], 'conflict'],
  ['gated', ['skip'], 'skipped'],
  ['gated', ['approve', 'skip'], 'skipped'],
  ['gated', ['skip', 'approve'], 'conflict'],
];

for (const [id, ops, want] of TABLE) {
  test(`${id}: ${ops.join(' → ')} ⇒ ${want}`, () => {
    let s = startRun(RB, T0);
    for (const [i, op] of ops.entries()) {
      const prev = s;
      const snapshot = structuredClone(s);
      if (i === ops.length - 1 && want === 'conflict') {
        assert.throws(
          () => OPS[op]!(s, id),
          (e: unknown) => e instanceof AppError && e.code === 'conflict',
        );
        return;
      }
      s = OPS[op]!(s, id);
      assert.deepEqual(prev, snapshot, 'input not mutated');
    }
    assert.equal(s.steps.find((x) => x.id === id)!.status, want);
  });
}

test('unknown step or check id is not_found', () => {
  const s = startRun(RB, T0);
  assert.throws(
    () => approveStep(s, 'nope', 'x', T0),
    (e: unknown) => e instanceof AppError && e.code === 'not_found',
  );
  assert.throws(
    () => recordCheck(s, 'nope', true, T0),
    (e: unknown) => e instanceof AppError && e.code === 'not_found',
  );
});

test('transitions never mutate their input and record who and when', () => {
  const s0 = startRun(RB, T0);
  const frozen = structuredClone(s0);
  const s1 = approveStep(s0, 'gated', 'bob', T0 + 5);
  const s2 = completeManualStep(s1, 'man', 'alice', 'all clear', T0 + 6);
  assert.deepEqual(s0, frozen);
  assert.equal(s1.steps[2]!.approvedBy, 'bob');
  assert.equal(s1.steps[2]!.updatedAtMs, T0 + 5);
  assert.deepEqual([s2.steps[3]!.completedBy, s2.steps[3]!.note], ['alice', 'all clear']);
  assert.equal(s2.updatedAtMs, T0 + 6);
});

test('attempts count executions; output of the latest execution is kept', () => {
  let s = startRun(RB, T0);
  s = recordStepResult(markStepRunning(s, 'act', T0), 'act', { ok: false, output: 'first', error: 'e1' }, T0 + 1);
  s = markStepRunning(retryStep(s, 'act', T0 + 2), 'act', T0 + 3);
  assert.equal(s.steps[0]!.output, undefined, 'a new execution starts with no output');
  s = recordStepResult(s, 'act', { ok: true, output: 'second' }, T0 + 4);
  assert.deepEqual([s.steps[0]!.attempts, s.steps[0]!.output, s.steps[0]!.error], [2, 'second', undefined]);
});

test('nextAutomatedSteps: pending actions, ungated commands and approved commands, in order', () => {
  let s = startRun(RB, T0);
  const ids = (st: RunState): string[] => nextAutomatedSteps(st).map((x) => x.id);
  assert.deepEqual(ids(s), ['act', 'ro']);
  s = approveStep(s, 'gated', 'bob', T0);
  assert.deepEqual(ids(s), ['act', 'ro', 'gated']);
  s = markStepRunning(s, 'act', T0);
  assert.deepEqual(ids(s), ['ro', 'gated']);
  s = recordStepResult(s, 'act', { ok: false }, T0);
  assert.deepEqual(ids(s), ['ro', 'gated'], 'failed steps wait for retryStep');
  assert.ok('action' in nextAutomatedSteps(retryStep(s, 'act', T0))[0]!);
});

test('isRunFinished once every step is succeeded, done or skipped', () => {
  let s = startRun(RB, T0);
  for (const id of ['act', 'ro']) s = recordStepResult(markStepRunning(s, id, T0), id, { ok: true }, T0);
  s = completeManualStep(s, 'man', 'a', undefined, T0);
  assert.equal(isRunFinished(s), false);
  assert.equal(isRunFinished(skipStep(s, 'gated', 'a', undefined, T0)), true);
});

test('verification: every automated check must hold for its duration; manual checks do not count', () => {
  const cases: { name: string; events: [string, boolean, number][]; at: number; want: boolean }[] = [
    { name: 'nothing checked yet', events: [], at: T0, want: false },
    {
      name: 'rule ok but not long enough',
      events: [
        ['rule', true, T0],
        ['http', true, T0],
      ],
      at: T0 + 299_999,
      want: false,
    },
    {
      name: 'rule held 5m, http once',
      events: [
        ['rule', true, T0],
        ['http', true, T0],
      ],
      at: T0 + 300_000,
      want: true,
    },
    {
      name: 'repeated ok keeps the start',
      events: [
        ['rule', true, T0],
        ['rule', true, T0 + 200_000],
        ['http', true, T0],
      ],
      at: T0 + 300_000,
      want: true,
    },
    {
      name: 'a failure restarts the clock',
      events: [
        ['rule', true, T0],
        ['rule', false, T0 + 100],
        ['rule', true, T0 + 200],
        ['http', true, T0],
      ],
      at: T0 + 300_000,
      want: false,
    },
    {
      name: 'one failing check blocks',
      events: [
        ['rule', true, T0],
        ['http', false, T0],
      ],
      at: T0 + 600_000,
      want: false,
    },
    {
      name: 'manual answer is not needed',
      events: [
        ['rule', true, T0],
        ['http', true, T0],
        ['human', false, T0],
      ],
      at: T0 + 300_000,
      want: true,
    },
    {
      name: 'stale result is ignored',
      events: [
        ['rule', true, T0],
        ['http', true, T0 + 10],
        ['http', false, T0 + 5],
      ],
      at: T0 + 300_000,
      want: true,
    },
  ];
  for (const c of cases) {
    let s = startRun(RB, T0);
    for (const [id, ok, at] of c.events) s = recordCheck(s, id, ok, at);
    assert.equal(verificationSatisfied(s, c.at), c.want, c.name);
  }
  const manualOnly = startRun(
    Runbook.parse({ type: 'm', title: 'M', severity: 'low', verification: [{ id: 'h', title: 'h', manual: 'x' }] }),
    T0,
  );
  assert.equal(verificationSatisfied(recordCheck(manualOnly, 'h', true, T0), T0 + 1), false, 'only humans resolve it');
});

test('output is bounded to 64 KiB with a marker, keeping head and tail, never splitting a character', () => {
  assert.equal(boundOutput('short'), 'short');
  const big = 'HEAD' + 'é'.repeat(50_000) + 'x'.repeat(30_000) + 'TAIL';
  const out = boundOutput(big);
  assert.ok(new TextEncoder().encode(out).length <= MAX_OUTPUT_BYTES);
  assert.ok(out.startsWith('HEAD') && out.endsWith('TAIL'));
  assert.match(out, /\n\[\.\.\. \d+ bytes truncated \.\.\.\]\n/);
  assert.ok(!out.includes('\uFFFD'), 'no broken characters');
  let s = markStepRunning(startRun(RB, T0), 'ro', T0);
  s = recordStepResult(s, 'ro', { ok: true, output: big, error: big }, T0);
  assert.ok(new TextEncoder().encode(s.steps[1]!.output!).length <= MAX_OUTPUT_BYTES);
  assert.ok(new TextEncoder().encode(s.steps[1]!.error!).length <= MAX_OUTPUT_BYTES);
});
