import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { TIMER_KINDS, collectHandlers } from './timer-kinds.ts';
import type { Engine, TimerHandler } from './engine.ts';

const SRC = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const noop: TimerHandler = async () => {};
const engine = (name: string, kinds: string[]): Engine => ({
  name,
  handlers: Object.fromEntries(kinds.map((k) => [k, noop])),
  start: async () => {},
  stop: async () => {},
  health: () => [],
});
/** One engine per name, each with the kinds the table gives it. */
const fromTable = () => {
  const byEngine = new Map<string, string[]>();
  for (const [kind, row] of Object.entries(TIMER_KINDS)) byEngine.set(row.engine, [...(byEngine.get(row.engine) ?? []), kind]);
  return [...byEngine].map(([name, kinds]) => engine(name, kinds));
};

test('every timer kind names a handler file that exists', () => {
  for (const [kind, row] of Object.entries(TIMER_KINDS)) assert.ok(existsSync(path.join(SRC, row.handler)), `${kind}: ${row.handler}`);
});

test('the engines of the table give the scheduler every kind once', () => {
  assert.deepEqual(Object.keys(collectHandlers(fromTable())).sort(), Object.keys(TIMER_KINDS).sort());
});

test('a kind missing from the table, handled twice, by another engine, or by nobody is refused', () => {
  assert.throws(() => collectHandlers([...fromTable(), engine('x', ['surprise'])]), /surprise.*missing from TIMER_KINDS/);
  assert.throws(() => collectHandlers([...fromTable(), engine('escalator', ['escalate'])]), /escalate is handled twice/);
  assert.throws(() => collectHandlers([...fromTable(), engine('runbooks', ['escalate'])]), /belongs to engine escalator, not runbooks/);
  assert.throws(() => collectHandlers(fromTable().filter((e) => e.name !== 'sla')), /no engine handles timer kind\(s\) ack_deadline/);
});
