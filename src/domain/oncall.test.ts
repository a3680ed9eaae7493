import { test } from 'node:test';
import assert from 'node:assert/strict';
import { oncallAt, oncallTimeline, scheduleProblems, type ScheduleInput, type Override, type Shift } from './oncall.ts';

const H = 3_600_000;
const D = 24 * H;
const W = 7 * D;
const at = (iso: string): number => {
  const ms = Date.parse(iso);
  assert.ok(Number.isFinite(ms), iso);
  return ms;
};
const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

function schedule(time_zone: string, every: number, handoff: string, members: string[], start?: string): ScheduleInput {
  return { name: 'primary', time_zone, rotation: { every, handoff, members, ...(start ? { start } : {}) } };
}

/** Shifts as compact rows, easy to compare in a table. */
function rows(shifts: Shift[]): [string | null, string, string, string][] {
  return shifts.map((s) => [s.person, iso(s.shiftStartMs)!, iso(s.shiftEndMs)!, s.source]);
}

test('handoffs keep their local wall time across DST (weekly and daily, Berlin and New York)', () => {
  // [case, schedule, instant, person, shift start (UTC), shift end (UTC), real length]
  const cases: [string, ScheduleInput, string, string, string, string, number][] = [
    // Berlin weekly 09:00 from Monday 2026-01-05: shift 11 (bob) spans spring-forward (03-29): 1 h shorter.
    [
      'berlin weekly spring',
      schedule('Europe/Berlin', W, '09:00', ['alice', 'bob']),
      '2026-03-29T12:00:00Z',
      'bob',
      '2026-03-23T08:00:00Z',
      '2026-03-30T07:00:00Z',
      W - H,
    ],
    [
      'berlin weekly after spring',
      schedule('Europe/Berlin', W, '09:00', ['alice', 'bob']),
      '2026-03-30T07:00:00Z',
      'alice',
      '2026-03-30T07:00:00Z',
      '2026-04-06T07:00:00Z',
      W,
    ],
    // Shift 41 (bob) spans fall-back (10-25): 1 h longer.
    [
      'berlin weekly fall',
      schedule('Europe/Berlin', W, '09:00', ['alice', 'bob']),
      '2026-10-25T12:00:00Z',
      'bob',
      '2026-10-19T07:00:00Z',
      '2026-10-26T08:00:00Z',
      W + H,
    ],
    [
      'berlin daily spring',
      schedule('Europe/Berlin', D, '09:00', ['a', 'b', 'c']),
      '2026-03-29T03:00:00Z',
      'b',
      '2026-03-28T08:00:00Z',
      '2026-03-29T07:00:00Z',
      D - H,
    ],
    [
      'berlin daily fall',
      schedule('Europe/Berlin', D, '09:00', ['a', 'b', 'c']),
      '2026-10-25T03:00:00Z',
      'b',
      '2026-10-24T07:00:00Z',
      '2026-10-25T08:00:00Z',
      D + H,
    ],
    // New York daily 09:00: EST is UTC-5, EDT UTC-4.
    [
      'ny daily spring',
      schedule('America/New_York', D, '09:00', ['a', 'b']),
      '2026-03-08T12:00:00Z',
      'b',
      '2026-03-07T14:00:00Z',
      '2026-03-08T13:00:00Z',
      D - H,
    ],
    [
      'ny daily fall',
      schedule('America/New_York', D, '09:00', ['a', 'b']),
      '2026-11-01T12:00:00Z',
      'b',
      '2026-10-31T13:00:00Z',
      '2026-11-01T14:00:00Z',
      D + H,
    ],
    [
      'ny weekly fall',
      schedule('America/New_York', W, '09:00', ['a', 'b', 'c']),
      '2026-11-01T12:00:00Z',
      'a',
      '2026-10-26T13:00:00Z',
      '2026-11-02T14:00:00Z',
      W + H,
    ],
  ];
  for (const [name, s, instant, person, start, end, length] of cases) {
    const got = oncallAt(s, [], at(instant));
    assert.deepEqual(
      [got.person, iso(got.shiftStartMs), iso(got.shiftEndMs), got.source],
      [person, iso(at(start)), iso(at(end)), 'rotation'],
      name,
    );
    assert.equal(got.shiftEndMs! - got.shiftStartMs!, length, `${name}: real length`);
  }
});

test('non-existent handoff moves to the transition; ambiguous handoff takes the first occurrence', () => {
  const cases: [string, ScheduleInput, string, string, string][] = [
    // Berlin 2026-03-29: 02:00 CET jumps to 03:00 CEST (01:00Z). 02:30 does not exist → 01:00Z.
    [
      'berlin gap',
      schedule('Europe/Berlin', D, '02:30', ['a', 'b']),
      '2026-03-29T05:00:00Z',
      '2026-03-29T01:00:00Z',
      '2026-03-30T00:30:00Z',
    ],
    // Berlin 2026-10-25: 02:30 happens at 00:30Z (CEST) and 01:30Z (CET) → 00:30Z.
    [
      'berlin overlap',
      schedule('Europe/Berlin', D, '02:30', ['a', 'b']),
      '2026-10-25T05:00:00Z',
      '2026-10-25T00:30:00Z',
      '2026-10-26T01:30:00Z',
    ],
    // New York 2026-03-08: 02:00 EST jumps to 03:00 EDT (07:00Z).
    [
      'ny gap',
      schedule('America/New_York', D, '02:30', ['a', 'b']),
      '2026-03-08T12:00:00Z',
      '2026-03-08T07:00:00Z',
      '2026-03-09T06:30:00Z',
    ],
    // New York 2026-11-01: 01:30 happens at 05:30Z (EDT) and 06:30Z (EST) → 05:30Z.
    [
      'ny overlap',
      schedule('America/New_York', D, '01:30', ['a', 'b']),
      '2026-11-01T12:00:00Z',
      '2026-11-01T05:30:00Z',
      '2026-11-02T06:30:00Z',
    ],
  ];
  for (const [name, s, instant, start, end] of cases) {
    const got = oncallAt(s, [], at(instant));
    assert.deepEqual([iso(got.shiftStartMs), iso(got.shiftEndMs)], [iso(at(start)), iso(at(end))], name);
  }
  // The instant just before the moved handoff still belongs to the previous shift.
  const s = schedule('America/New_York', D, '02:30', ['a', 'b']);
  assert.equal(iso(oncallAt(s, [], at('2026-03-08T06:59:59.999Z')).shiftStartMs), '2026-03-07T07:30:00.000Z');
});

test('members rotate in order from the start date; before it there is a gap', () => {
  const s = schedule('Europe/Berlin', D, '09:00', ['a', 'b', 'c'], '2026-03-01');
  const got = rows(oncallTimeline(s, [], at('2026-02-28T00:00:00Z'), at('2026-03-05T00:00:00Z')));
  assert.deepEqual(got, [
    [null, '2026-02-28T00:00:00.000Z', '2026-03-01T08:00:00.000Z', 'gap'],
    ['a', '2026-03-01T08:00:00.000Z', '2026-03-02T08:00:00.000Z', 'rotation'],
    ['b', '2026-03-02T08:00:00.000Z', '2026-03-03T08:00:00.000Z', 'rotation'],
    ['c', '2026-03-03T08:00:00.000Z', '2026-03-04T08:00:00.000Z', 'rotation'],
    ['a', '2026-03-04T08:00:00.000Z', '2026-03-05T00:00:00.000Z', 'rotation'],
  ]);
  const before = oncallAt(s, [], at('2026-02-01T00:00:00Z'));
  assert.deepEqual(before, { person: null, shiftStartMs: null, shiftEndMs: at('2026-03-01T08:00:00Z'), source: 'gap' });
});

test('a single member still hands off at every boundary (shifts are not merged)', () => {
  const s = schedule('UTC', D, '00:00', ['solo']);
  const got = oncallTimeline(s, [], at('2026-02-01T00:00:00Z'), at('2026-02-03T00:00:00Z'));
  assert.equal(got.length, 2);
  assert.ok(got.every((x) => x.person === 'solo'));
});

test('overrides replace the rotation; later overrides win; adjacent same-person pieces merge', () => {
  const s = schedule('Europe/Berlin', D, '09:00', ['a', 'b'], '2026-03-01'); // 03-01 a, 03-02 b, 03-03 a
  const overrides: Override[] = [
    // carol from mid-shift across a handoff
    { person: 'carol', startMs: at('2026-03-01T12:00:00Z'), endMs: at('2026-03-02T12:00:00Z') },
    // dave inside carol's override wins (later in the array)
    { person: 'dave', startMs: at('2026-03-01T20:00:00Z'), endMs: at('2026-03-01T22:00:00Z') },
    // an empty override is ignored
    { person: 'eve', startMs: at('2026-03-03T10:00:00Z'), endMs: at('2026-03-03T10:00:00Z') },
    // two adjacent overrides for the same person read as one shift
    { person: 'frank', startMs: at('2026-03-03T10:00:00Z'), endMs: at('2026-03-03T11:00:00Z') },
    { person: 'frank', startMs: at('2026-03-03T11:00:00Z'), endMs: at('2026-03-03T12:00:00Z') },
  ];
  const got = rows(oncallTimeline(s, overrides, at('2026-03-01T08:00:00Z'), at('2026-03-04T08:00:00Z')));
  assert.deepEqual(got, [
    ['a', '2026-03-01T08:00:00.000Z', '2026-03-01T12:00:00.000Z', 'rotation'],
    ['carol', '2026-03-01T12:00:00.000Z', '2026-03-01T20:00:00.000Z', 'override'],
    ['dave', '2026-03-01T20:00:00.000Z', '2026-03-01T22:00:00.000Z', 'override'],
    ['carol', '2026-03-01T22:00:00.000Z', '2026-03-02T12:00:00.000Z', 'override'],
    ['b', '2026-03-02T12:00:00.000Z', '2026-03-03T08:00:00.000Z', 'rotation'],
    ['a', '2026-03-03T08:00:00.000Z', '2026-03-03T10:00:00.000Z', 'rotation'],
    ['frank', '2026-03-03T10:00:00.000Z', '2026-03-03T12:00:00.000Z', 'override'],
    ['a', '2026-03-03T12:00:00.000Z', '2026-03-04T08:00:00.000Z', 'rotation'],
  ]);
  // oncallAt reports the effective shift: carol's whole override, and b's remainder.
  const c = oncallAt(s, overrides, at('2026-03-02T09:00:00Z'));
  assert.deepEqual(
    [c.person, iso(c.shiftStartMs), iso(c.shiftEndMs), c.source],
    ['carol', '2026-03-01T22:00:00.000Z', '2026-03-02T12:00:00.000Z', 'override'],
  );
  const b = oncallAt(s, overrides, at('2026-03-02T13:00:00Z'));
  assert.deepEqual([b.person, iso(b.shiftStartMs), iso(b.shiftEndMs)], ['b', '2026-03-02T12:00:00.000Z', '2026-03-03T08:00:00.000Z']);
});

test('gaps: empty members, and overrides that end outside rotation coverage', () => {
  const empty = schedule('UTC', D, '09:00', []);
  assert.deepEqual(oncallAt(empty, [], at('2026-03-01T00:00:00Z')), { person: null, shiftStartMs: null, shiftEndMs: null, source: 'gap' });
  const o: Override[] = [{ person: 'carol', startMs: at('2026-03-01T10:00:00Z'), endMs: at('2026-03-01T14:00:00Z') }];
  assert.deepEqual(rows(oncallTimeline(empty, o, at('2026-03-01T00:00:00Z'), at('2026-03-02T00:00:00Z'))), [
    [null, '2026-03-01T00:00:00.000Z', '2026-03-01T10:00:00.000Z', 'gap'],
    ['carol', '2026-03-01T10:00:00.000Z', '2026-03-01T14:00:00.000Z', 'override'],
    [null, '2026-03-01T14:00:00.000Z', '2026-03-02T00:00:00.000Z', 'gap'],
  ]);
  assert.deepEqual(oncallAt(empty, o, at('2026-03-01T15:00:00Z')), {
    person: null,
    shiftStartMs: at('2026-03-01T14:00:00Z'),
    shiftEndMs: null,
    source: 'gap',
  });

  // An override before the rotation starts, ending before the first handoff.
  const late = schedule('UTC', D, '09:00', ['a'], '2026-03-10');
  const o2: Override[] = [{ person: 'carol', startMs: at('2026-03-09T20:00:00Z'), endMs: at('2026-03-10T06:00:00Z') }];
  assert.deepEqual(rows(oncallTimeline(late, o2, at('2026-03-09T00:00:00Z'), at('2026-03-10T12:00:00Z'))), [
    [null, '2026-03-09T00:00:00.000Z', '2026-03-09T20:00:00.000Z', 'gap'],
    ['carol', '2026-03-09T20:00:00.000Z', '2026-03-10T06:00:00.000Z', 'override'],
    [null, '2026-03-10T06:00:00.000Z', '2026-03-10T09:00:00.000Z', 'gap'],
    ['a', '2026-03-10T09:00:00.000Z', '2026-03-10T12:00:00.000Z', 'rotation'],
  ]);
});

test('sub-day rotations step in real time; multi-day rotations count local days', () => {
  // 12 h from 2026-03-28 09:00 CET (08:00Z): after spring-forward the local handoff becomes 10:00/22:00.
  const half = schedule('Europe/Berlin', 12 * H, '09:00', ['a', 'b'], '2026-03-28');
  assert.deepEqual(rows(oncallTimeline(half, [], at('2026-03-28T08:00:00Z'), at('2026-03-29T20:00:00Z'))), [
    ['a', '2026-03-28T08:00:00.000Z', '2026-03-28T20:00:00.000Z', 'rotation'],
    ['b', '2026-03-28T20:00:00.000Z', '2026-03-29T08:00:00.000Z', 'rotation'],
    ['a', '2026-03-29T08:00:00.000Z', '2026-03-29T20:00:00.000Z', 'rotation'],
  ]);
  // 3 d from 2026-03-27 09:00 Berlin: next handoff 2026-03-30 09:00 CEST (07:00Z), 71 h later.
  const three = schedule('Europe/Berlin', 3 * D, '09:00', ['a', 'b'], '2026-03-27');
  const x = oncallAt(three, [], at('2026-03-29T00:00:00Z'));
  assert.deepEqual([x.person, iso(x.shiftStartMs), iso(x.shiftEndMs)], ['a', '2026-03-27T08:00:00.000Z', '2026-03-30T07:00:00.000Z']);
  assert.equal(oncallAt(three, [], at('2026-03-30T07:00:00Z')).person, 'b');
});

test('timeline partitions the range exactly and long ranges stay consistent with oncallAt', () => {
  const s = schedule('America/New_York', D, '09:00', ['a', 'b', 'c']);
  const from = at('2026-01-01T00:00:00Z');
  const to = at('2027-01-01T00:00:00Z');
  const shifts = oncallTimeline(s, [], from, to);
  assert.equal(shifts[0]!.shiftStartMs, from);
  assert.equal(shifts.at(-1)!.shiftEndMs, to);
  for (let i = 1; i < shifts.length; i++) {
    assert.equal(shifts[i]!.shiftStartMs, shifts[i - 1]!.shiftEndMs);
    assert.notEqual(shifts[i]!.person, shifts[i - 1]!.person);
  }
  // Every handoff after the start is at 09:00 New York time.
  const local = new Intl.DateTimeFormat('en-US', { timeZone: 'America/New_York', hourCycle: 'h23', hour: '2-digit', minute: '2-digit' });
  for (const sh of shifts.slice(2)) assert.equal(local.format(sh.shiftStartMs), '09:00');
  for (const t of [at('2026-03-08T13:30:00Z'), at('2026-07-04T12:00:00Z'), at('2026-11-01T13:59:59Z')]) {
    const sh = shifts.find((x) => x.shiftStartMs <= t && t < x.shiftEndMs)!;
    assert.equal(oncallAt(s, [], t).person, sh.person);
  }
  assert.deepEqual(oncallTimeline(s, [], to, from), []);
  assert.throws(() => oncallTimeline(s, [], from, to, 10), RangeError);
});

test('invalid schedules are reported and rejected', () => {
  const bad: ScheduleInput = {
    name: 'x',
    time_zone: 'Mars/Olympus',
    rotation: { every: 0, handoff: '24:00', start: '2026-02-30', members: ['a'] },
  };
  assert.equal(scheduleProblems(bad).length, 4);
  assert.deepEqual(scheduleProblems(schedule('Europe/Berlin', W, '09:00', ['a'])), []);
  assert.throws(() => oncallAt(bad, [], 0), RangeError);
});
