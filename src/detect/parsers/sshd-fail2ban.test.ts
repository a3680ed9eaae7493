/**
 * Parity with fail2ban's stock sshd filter, on fail2ban's own annotated
 * samples (`# failJSON:` before each line) read from the installed Debian
 * package `fail2ban` (.ci/run installs it; without it this test fails).
 *
 * The samples are walked as fail2ban's samplestestcase.py walks them:
 * `filterOptions` blocks say which modes test the following lines, each mode
 * keeps its own parser (state) over the whole file, a line whose
 * `constraint` is false for a mode is not fed to that mode. The journal
 * sample's lines have no timestamp (journald supplies it): they are given a
 * journalctl short-iso one. fail2ban's expected times are Europe/Zurich wall
 * clock (its test suite's zone), so the parsers read local times in that zone.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { canonicalIp } from '../../domain/ip.ts';
import { SshdParser } from './sshd.ts';
import type { SshdMode } from './sshd-messages.ts';

interface Opts {
  mode?: string;
  logtype?: string;
  [k: string]: unknown;
}
interface Outcome {
  file: string;
  mode: string;
  line: string;
  want: Record<string, unknown>;
  counted: boolean;
  ip?: string;
  user?: string;
  tsUs?: number;
  reason: string;
}

function sampleFiles(): string[] {
  let list: string;
  try {
    list = execFileSync('dpkg', ['-L', 'fail2ban'], { encoding: 'utf8' });
  } catch {
    assert.fail("Debian's fail2ban package is not installed (apt-get install fail2ban): its sshd samples are this test's data");
  }
  const files = list.split('\n').filter((f) => /tests\/files\/logs\/sshd(-journal)?$/.test(f));
  assert.equal(files.length, 2, `sshd and sshd-journal samples in the fail2ban package, found ${files.join(', ')}`);
  return files.sort();
}

/** The few Python expressions the samples use as constraints. */
function holds(expr: string | undefined, opts: Opts): boolean {
  if (expr === undefined) return true;
  const e = expr.trim();
  if (/^name\s*==\s*'sshd'$/.test(e)) return true;
  const m = /^opts\.get\('mode'\)\s*(==|!=)\s*'(\w+)'$/.exec(e);
  if (m) return (opts.mode === m[2]) === (m[1] === '==');
  throw new Error(`unknown constraint ${expr}`);
}

const STAMP = '2005-06-21T16:47:48+0200 ';

function run(): Outcome[] {
  const [sshd, journal] = sampleFiles();
  const out: Outcome[] = [];
  const parsers = new Map<string, SshdParser>();
  for (const file of [sshd!, journal!]) {
    const isJournal = file === journal;
    let common: Opts = {};
    let blocks: Opts[] = [{}];
    const lines = readFileSync(file, 'utf8').split('\n');
    for (let i = 0; i < lines.length; i++) {
      const m = /^#+ ?(failJSON|(?:file|filter)Options|addFILE):(.+)$/.exec(lines[i]!);
      if (!m) continue;
      const data = JSON.parse(m[2]!) as Record<string, unknown> | Record<string, unknown>[];
      if (m[1] === 'fileOptions') common = data as Opts;
      if (m[1] === 'filterOptions') blocks = (Array.isArray(data) ? data : [data]).map((d) => ({ ...common, ...d }) as Opts);
      if (m[1] !== 'failJSON') continue;
      const want = data as Record<string, unknown>;
      let line = lines[++i]!.replace(/\r$/, '');
      if (isJournal) line = STAMP + line;
      for (const opts of blocks) {
        if (!holds(opts['test.condition'] as string | undefined, opts) || !holds(want.constraint as string | undefined, opts)) continue;
        const name = `${file}:${JSON.stringify(Object.fromEntries(Object.entries(opts).filter(([k]) => !k.startsWith('test.'))))}`;
        let p = parsers.get(name);
        if (!p)
          parsers.set(name, (p = new SshdParser({ year: 2005, timeZone: 'Europe/Zurich', mode: (opts.mode ?? 'normal') as SshdMode })));
        const ev = p.parse(line);
        const failed = ev?.type === 'auth.login_failed' ? ev : p.also?.type === 'auth.login_failed' ? p.also : null;
        out.push({
          file: isJournal ? 'sshd-journal' : 'sshd',
          mode: opts.mode ?? 'normal',
          line,
          want,
          counted: failed !== null,
          ip: failed?.ip,
          user: failed?.user_id,
          tsUs: failed?.tsUs,
          reason: ev === null ? `${p.skip}: ${p.reason}` : '',
        });
      }
    }
  }
  return out;
}

/** The annotated address as Firebreak keys it, or null for a host name. */
function literal(host: unknown): string | null {
  if (typeof host !== 'string') return null;
  const ip = canonicalIp(host);
  return ip !== null && ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}

/**
 * Lines where fail2ban's answer can be an injected address, which Firebreak deliberately counts for no
 * one (skipped as `ambiguous address`): a user name `test from 127.0.0.1 port 58946 ssh2:` would make
 * sshd write exactly this line with 10.10.1.2 as the true source.
 */
const AMBIGUOUS = ['Failed password for invalid user test from 127.0.0.1 port 58946 ssh2: from 10.10.1.2 port 55555 ssh2'];
const deliberate = (o: Outcome) => AMBIGUOUS.some((l) => o.line.endsWith(l));

const zurich = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Zurich', dateStyle: 'short', timeStyle: 'medium' });

function problems(o: Outcome): string[] {
  const p: string[] = [];
  if (deliberate(o)) return o.counted || o.reason !== 'unparseable: ambiguous address' ? [`want skipped as ambiguous (${o.reason})`] : [];
  const host = o.want.host;
  const ip = literal(host);
  if (o.want.match === true && (ip !== null || host === undefined)) {
    if (!o.counted) return [`not counted (${o.reason})`];
    if (ip !== null && o.ip !== ip) p.push(`charged ${o.ip}, want ${ip}`);
    if (typeof o.want.user === 'string' && (o.user ?? '') !== o.want.user) p.push(`user ${o.user}, want ${o.want.user}`);
    const t = o.want.time;
    if (typeof t === 'string' && o.file === 'sshd') {
      const got = zurich.format(new Date(o.tsUs! / 1000)).replace(' ', 'T');
      // Traditional timestamps carry no year (fail2ban infers it from its clock): compare without it.
      const zoned = /^[<\d]/.test(o.line);
      if ((zoned ? got : got.slice(5)) !== (zoned ? t.slice(0, 19) : t.slice(5, 19))) p.push(`time ${got}, want ${t}`);
    }
  } else if (o.counted) p.push(`counted for ${o.ip}, want ${o.want.match === true ? `nothing (host name ${String(host)})` : 'no match'}`);
  return p;
}

test('sshd: every annotated line of fail2ban’s sshd and sshd-journal samples, in every mode, as fail2ban', () => {
  const outcomes = run();
  const bad = outcomes.flatMap((o) => problems(o).map((p) => `[${o.file} ${o.mode}] ${p}: ${o.line}`));
  assert.ok(outcomes.length > 400, `only ${outcomes.length} annotated line×mode outcomes read`);
  assert.deepEqual(bad, []);
});

test('sshd: of the lines fail2ban’s default mode matches (literal addresses), at least 95% count in normal mode', () => {
  const normal = run().filter((o) => o.file === 'sshd' && o.mode === 'normal' && o.want.match === true && literal(o.want.host) !== null);
  const counted = normal.filter((o) => o.counted && o.ip === literal(o.want.host)).length;
  assert.ok(normal.length >= 55, `${normal.length} lines`);
  assert.ok(counted / normal.length >= 0.95, `${counted} of ${normal.length}`);
});

test('sshd: the journal sample counts once its lines carry a short-iso timestamp', () => {
  const j = run().filter((o) => o.file === 'sshd-journal' && o.want.match === true && literal(o.want.host) !== null && !deliberate(o));
  assert.ok(j.length > 50, `${j.length} lines`);
  assert.deepEqual(
    j.filter((o) => !o.counted).map((o) => `${o.mode}: ${o.line}`),
    [],
  );
});
