import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  freezePolicy,
  startEscalation,
  onTimer,
  onAcknowledge,
  onReopen,
  isExhausted,
  type EscalationState,
  type FrozenPolicy,
  type PolicyConfig,
} from './escalation.ts';

const MIN = 60_000;

const config: PolicyConfig = {
  name: 'default',
  levels: [
    { name: 'automated', notify: ['channel:ops-hook'], timeout: 5 * MIN },
    { name: 'on-call', notify: ['schedule:primary'] },
    { name: 'security-team', notify: ['person:carol', 'channel:ops-slack'] },
  ],
  level_timeout: 10 * MIN,
  repeat: 1,
};

test('freezePolicy resolves timeouts: level, then policy, then severity deadline', () => {
  const cases: [string, PolicyConfig, number, number[]][] = [
    ['level and policy timeouts', config, 15 * MIN, [5 * MIN, 10 * MIN, 10 * MIN]],
    ['severity deadline as fallback', { ...config, level_timeout: undefined }, 15 * MIN, [5 * MIN, 15 * MIN, 15 * MIN]],
    ['repeat defaults to 0', { name: 'p', levels: [{ notify: ['channel:x'] }] }, 60 * MIN, [60 * MIN]],
  ];
  for (const [name, cfg, deadline, want] of cases) {
    const p = freezePolicy(cfg, deadline);
    assert.deepEqual(
      p.levels.map((l) => l.timeoutMs),
      want,
      name,
    );
    assert.ok(Object.isFrozen(p) && Object.isFrozen(p.levels) && Object.isFrozen(p.levels[0]), name);
  }
  const p = freezePolicy(config, 15 * MIN);
  assert.equal(p.name, 'default');
  assert.equal(p.repeat, 1);
  assert.deepEqual(p.levels[2], { name: 'security-team', targets: ['person:carol', 'channel:ops-slack'], timeoutMs: 10 * MIN });
  assert.throws(() => freezePolicy({ name: 'empty', levels: [] }, MIN), RangeError);
  assert.throws(() => freezePolicy({ name: 'neg', levels: [{ notify: [], timeout: -1 }] }, MIN), RangeError);
});

const policy: FrozenPolicy = freezePolicy(config, 15 * MIN); // timeouts 5, 10, 10 min; repeat 1
const st = (level: number, cycle: number, nextAtMs: number | null, stopped = false): EscalationState => ({
  level,
  cycle,
  nextAtMs,
  stopped,
});

test('onTimer follows the transition table', () => {
  const now = 1_000_000;
  // [row, state before, now, state after, notified level (null = none), exhausted]
  const cases: [string, EscalationState, number, EscalationState, number | null, boolean][] = [
    ['stopped: unchanged', st(1, 0, null, true), now, st(1, 0, null, true), null, false],
    ['already exhausted: unchanged', st(2, 1, null), now, st(2, 1, null), null, false],
    ['early timer: unchanged', st(0, 0, now + 1), now, st(0, 0, now + 1), null, false],
    ['due exactly: level 0 → 1', st(0, 0, now), now, st(1, 0, now + 10 * MIN), 1, false],
    ['late timer still moves one level', st(0, 0, now - 60 * MIN), now, st(1, 0, now + 10 * MIN), 1, false],
    ['level 1 → 2', st(1, 0, now), now, st(2, 0, now + 10 * MIN), 2, false],
    ['last level with repeats left → level 0, next cycle', st(2, 0, now), now, st(0, 1, now + 5 * MIN), 0, false],
    ['second cycle climbs again', st(0, 1, now), now, st(1, 1, now + 10 * MIN), 1, false],
    ['last level, no repeats left → exhausted', st(2, 1, now), now, st(2, 1, null), null, true],
    ['level past the end counts as last', st(7, 1, now), now, st(2, 1, null), null, true],
  ];
  for (const [row, before, t, after, level, exhausted] of cases) {
    const step = onTimer(policy, before, t);
    assert.deepEqual(step.state, after, row);
    assert.equal(step.notify?.level ?? null, level, row);
    if (level !== null) assert.deepEqual(step.notify!.targets, policy.levels[level]!.targets, row);
    assert.equal(step.exhausted, exhausted, row);
  }
});

test('a whole run: start, climb, repeat once, exhaust', () => {
  let t = 0;
  const start = startEscalation(policy, t);
  assert.deepEqual(start, { state: st(0, 0, 5 * MIN), notify: { level: 0, targets: ['channel:ops-hook'] }, exhausted: false });
  const notified: number[] = [start.notify!.level];
  let state = start.state;
  let exhausted = false;
  for (let i = 0; i < 20 && !exhausted; i++) {
    t = state.nextAtMs!;
    const step = onTimer(policy, state, t);
    if (step.notify) notified.push(step.notify.level);
    ({ state, exhausted } = step);
  }
  // Two passes over three levels, then exhaustion after the last level's timeout.
  assert.deepEqual(notified, [0, 1, 2, 0, 1, 2]);
  assert.equal(t, 2 * (5 + 10 + 10) * MIN);
  assert.ok(isExhausted(state));
  assert.deepEqual(state, st(2, 1, null));
});

test('acknowledge stops; reopen restarts at level 0', () => {
  const cases: [string, EscalationState][] = [
    ['running', st(1, 0, 123)],
    ['exhausted', st(2, 1, null)],
    ['already stopped', st(0, 0, null, true)],
  ];
  for (const [name, before] of cases) {
    const acked = onAcknowledge(before);
    assert.deepEqual(acked, { level: before.level, cycle: before.cycle, nextAtMs: null, stopped: true }, name);
    assert.equal(isExhausted(acked), false, name);
    assert.deepEqual(onTimer(policy, acked, 10 ** 12), { state: acked, notify: null, exhausted: false }, name);
    const re = onReopen(policy, 500);
    assert.deepEqual(re.state, st(0, 0, 500 + 5 * MIN), name);
    assert.deepEqual(re.notify, { level: 0, targets: ['channel:ops-hook'] }, name);
  }
});

test('a single level without repeats exhausts after its timeout', () => {
  const p = freezePolicy({ name: 'one', levels: [{ notify: ['channel:mail'] }] }, 15 * MIN);
  const s0 = startEscalation(p, 0);
  assert.equal(onTimer(p, s0.state, 15 * MIN - 1).notify, null);
  const s1 = onTimer(p, s0.state, 15 * MIN);
  assert.deepEqual(s1, { state: st(0, 0, null), notify: null, exhausted: true });
});
