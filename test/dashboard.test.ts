/**
 * The dashboard in a real browser: a Firebreak in this process listening on
 * a free port, Debian's Chromium driven by playwright-core. Screenshots of
 * every page go to test-output/screenshots/ for a person to look at.
 *
 * If Chromium cannot start, this test fails (it does not skip): the browser
 * is part of what is tested.
 */
import { memoryFailureLimits } from '../src/domain/auth-limits.ts';
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyInstance } from 'fastify';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startTestFirebreak, TEST_ADMIN_TOKEN, type TestFirebreak } from '../src/test-harness.ts';
import { requireActor } from '../src/http/auth.ts';
import { normalizeHttpError, sendError } from '../src/http/error-map.ts';
import { createSessionStore, sessionActor } from '../src/http/session-auth.ts';
import { sessionRoutes } from '../src/http/routes/session.ts';
import { staticRoutes } from '../src/http/routes/static.ts';
import type { HttpContext } from '../src/http/http-context.ts';
import type { Permission } from '../src/domain/roles.ts';
import { dashboardDriver } from './support/dashboard-driver.ts';

const LAUNCH_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SHOTS = path.join(ROOT, 'test-output', 'screenshots');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const WAIT = 10_000;
/** Buttons that change something; a viewer must see none of them. */
const MUTATING = /^(Acknowledge|Resolve|Reopen|Add note|Mark done|Approve and run|Retry|Lift|Confirm lift|Remove|Confirm remove|Add)$/;

const DRILL_RUNBOOK = `type: dashboard_drill
title: Dashboard drill
severity: high
immediate_actions:
  - id: look-around
    title: Look around
    manual: |
      Check the graphs
      Tell the team
  - id: stop-writes
    title: Stop writes
    command: echo writes stopped
    approval: required
    timeout: 10s
verification:
  - id: all-good
    title: All good
    manual: Everything is back to normal.
`;

describe('dashboard in Chromium', () => {
  let t: TestFirebreak;
  let base: string;
  let browser: Browser;
  let admin: BrowserContext;
  let page: Page;
  let viewerToken: string;
  let offsetMs = 0;
  let runbooksDir: string;
  /** Console errors, page errors, failed requests and HTTP errors seen by any page. */
  const problems: string[] = [];
  const driver = dashboardDriver({ browser: () => browser, base: () => base, problems, shots: SHOTS, waitMs: WAIT });
  const { watch, shot } = driver;
  const ids: Record<string, string> = {};

  /** Waits until the page's query string (changed by the page itself, no navigation) satisfies `ok`. */
  async function waitForSearch(p: Page, ok: (q: URLSearchParams) => boolean): Promise<void> {
    const deadline = Date.now() + WAIT;
    while (!ok(new URL(p.url()).searchParams)) {
      if (Date.now() > deadline) throw new Error(`the URL never matched; it is ${p.url()}`);
      await p.waitForTimeout(50);
    }
  }

  async function createIncident(body: Record<string, unknown>): Promise<Record<string, any>> {
    const r = await t.call('POST', '/api/v1/incidents', body);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body;
  }

  before(async () => {
    const build = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'build-web.js')], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(build.status, 0, `dashboard build failed:\n${build.stdout}\n${build.stderr}`);
    mkdirSync(SHOTS, { recursive: true });
    runbooksDir = mkdtempSync(path.join(tmpdir(), 'firebreak-dash-runbooks-'));
    writeFileSync(path.join(runbooksDir, 'dashboard-drill.yaml'), DRILL_RUNBOOK);
    t = await startTestFirebreak('embedded', {
      configYaml: { server: { port: 0 }, runbooks_dir: runbooksDir },
      create: { clock: () => new Date(Date.now() + offsetMs) },
    });
    base = await t.fb.listen();
    viewerToken = await t.makeToken('viewer', 'vic-viewer');
    ids.first = (
      await createIncident({
        type: 'high_error_rate',
        severity: 'high',
        title: 'Checkout errors above 10/min',
        description: 'HTTP 5xx from /api/checkout since the 14:02 deploy.',
      })
    ).id;
    // Opened 20 minutes "ago": its 15-minute acknowledgement deadline has passed.
    offsetMs = -20 * 60_000;
    ids.breached = (
      await createIncident({
        type: 'brute_force_attempt',
        severity: 'critical',
        title: 'Brute force from 203.0.113.5',
        dedup_key: 'ip:203.0.113.5',
      })
    ).id;
    offsetMs = 0;
    ids.drill = (await createIncident({ type: 'dashboard_drill', severity: 'medium', title: 'Drill: stop writes' })).id;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: LAUNCH_ARGS,
    });
    admin = await browser.newContext({ viewport: { width: 1280, height: 860 }, colorScheme: 'light' });
    page = await admin.newPage();
    watch(page, 'admin');
  });

  after(async () => {
    await browser?.close();
    await t?.close();
    if (runbooksDir) rmSync(runbooksDir, { recursive: true, force: true });
  });

  test('the admin signs in with a token and sees the incidents', async () => {
    await page.goto(base);
    await page.getByRole('heading', { name: 'Sign in to Firebreak' }).waitFor({ timeout: WAIT });
    await shot(page, '01-sign-in');
    await page.getByLabel('API token').fill(TEST_ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Incidents', level: 1 }).waitFor({ timeout: WAIT });
    await page.getByRole('link', { name: 'Checkout errors above 10/min' }).waitFor({ timeout: WAIT });
    const cookies = await admin.cookies();
    const session = cookies.find((c) => c.name === 'fb_session');
    assert.ok(session, 'a session cookie');
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, 'Strict');
    assert.ok(!cookies.some((c) => c.value.includes(TEST_ADMIN_TOKEN)), 'the token is not in any cookie');
    assert.equal(await page.evaluate(() => document.cookie.includes('fb_session')), false, 'scripts cannot read the session');
    assert.match(await page.locator('.who').innerText(), /bootstrap-admin\s+admin/);
  });

  test('a breached incident is highlighted with a count-up; others count down', async () => {
    const row = page.locator(`tr[data-incident-id="${ids.breached}"]`);
    await row.waitFor({ timeout: WAIT });
    assert.match((await row.getAttribute('class')) ?? '', /is-breached/);
    assert.match(await row.innerText(), /Breached\s+\d+m \d\ds ago/);
    const ok = page.locator(`tr[data-incident-id="${ids.first}"]`);
    assert.doesNotMatch((await ok.getAttribute('class')) ?? '', /is-breached/);
    const before = await ok.locator('td').last().innerText();
    assert.match(before, /^\d+m \d\ds left$/);
    await page.waitForTimeout(1100);
    assert.notEqual(await ok.locator('td').last().innerText(), before, 'the countdown ticks');
    assert.match(await page.locator('.summary').innerText(), /1 past the acknowledgement deadline/);
  });

  test('an incident created through the API appears without reloading', async () => {
    await page.evaluate(() => ((window as unknown as { __samePage: boolean }).__samePage = true));
    let navigations = 0;
    const onNav = (f: { parentFrame(): unknown }) => {
      if (f.parentFrame() === null) navigations++;
    };
    page.on('framenavigated', onNav);
    const created = await createIncident({
      type: 'ddos',
      severity: 'critical',
      title: 'Request flood from 198.51.100.23',
      dedup_key: 'ip:198.51.100.23',
    });
    ids.live = created.id;
    await page.getByRole('link', { name: 'Request flood from 198.51.100.23' }).waitFor({ timeout: WAIT });
    page.off('framenavigated', onNav);
    assert.equal(navigations, 0, 'no navigation happened');
    assert.equal(await page.evaluate(() => (window as unknown as { __samePage?: boolean }).__samePage), true, 'same document');
    assert.match(
      await page.locator('[role="status"][aria-live="polite"]').innerText(),
      /New critical incident: Request flood from 198\.51\.100\.23/,
    );
    assert.match((await page.locator(`tr[data-incident-id="${ids.live}"]`).getAttribute('class')) ?? '', /is-new/);
    await shot(page, '02-incidents');
  });

  test('filters and search narrow the list and live in the URL', async () => {
    await page.getByLabel('Severity').selectOption('critical');
    await waitForSearch(page, (q) => q.get('severity') === 'critical');
    await page.locator(`tr[data-incident-id="${ids.first}"]`).waitFor({ state: 'detached', timeout: WAIT });
    await page.locator('table[aria-busy="false"]').waitFor({ timeout: WAIT });
    assert.equal(await page.locator('tbody tr').count(), 2);
    await page.getByLabel('Search').fill('203.0.113');
    await waitForSearch(page, (q) => q.get('q') === '203.0.113');
    await page.locator(`tr[data-incident-id="${ids.live}"]`).waitFor({ state: 'detached', timeout: WAIT });
    await page.locator('table[aria-busy="false"]').waitFor({ timeout: WAIT });
    assert.equal(await page.locator('tbody tr').count(), 1);
    await page.getByLabel('Search').fill('nothing-matches-this');
    await page.getByText('No incidents match these filters.').waitFor({ timeout: WAIT });
    await page.getByLabel('Search').fill('');
    await page.getByLabel('Severity').selectOption('');
    await page.getByLabel('Status').selectOption('all');
    await waitForSearch(page, (q) => q.toString() === 'status=all');
    await page.locator(`tr[data-incident-id="${ids.first}"]`).waitFor({ timeout: WAIT });
    await page.getByLabel('Status').selectOption('open');
    await waitForSearch(page, (q) => q.toString() === '');
  });

  test('acknowledge from the incident page and add a note; the API shows both', async () => {
    await page.getByRole('link', { name: 'Request flood from 198.51.100.23' }).click();
    await page.getByRole('heading', { name: 'Request flood from 198.51.100.23', level: 1 }).waitFor({ timeout: WAIT });
    await page.locator('.timeline li[data-kind="opened"]').waitFor({ timeout: WAIT });
    await shot(page, '03-incident');
    await page.getByRole('button', { name: 'Acknowledge' }).click();
    await page.locator('.incident-head .badge.status-acknowledged').waitFor({ timeout: WAIT });
    await page.locator('.timeline li[data-kind="acknowledged"]').waitFor({ timeout: WAIT });
    const inc = await t.call('GET', `/api/v1/incidents/${ids.live}`);
    assert.equal(inc.body.status, 'acknowledged');
    assert.equal(inc.body.acknowledged_by, 'bootstrap-admin');
    assert.equal(await page.getByRole('button', { name: 'Acknowledge' }).count(), 0, 'no second acknowledge');
    assert.equal(await page.getByRole('button', { name: 'Reopen' }).count(), 1);

    await page.getByLabel('Add a note').fill('Blocked 198.51.100.23 at the edge; watching the graphs.');
    await page.getByRole('button', { name: 'Add note' }).click();
    await page.locator('.timeline li[data-kind="note"]').getByText('Blocked 198.51.100.23 at the edge').waitFor({ timeout: WAIT });
    assert.equal(await page.getByLabel('Add a note').inputValue(), '', 'the form is cleared');
    const tl = await t.call('GET', `/api/v1/incidents/${ids.live}/timeline`);
    const note = tl.body.items.find((e: { kind: string }) => e.kind === 'note');
    assert.ok(note, JSON.stringify(tl.body.items));
    assert.equal(note.message, 'Blocked 198.51.100.23 at the edge; watching the graphs.');
    assert.equal(note.actor, 'bootstrap-admin');
    await shot(page, '04-incident-acknowledged');
  });

  test('changes made elsewhere show up on the open incident page', async () => {
    const r = await t.call('POST', `/api/v1/incidents/${ids.live}/notes`, { text: 'Note from the CLI' });
    assert.equal(r.status, 201);
    await page.locator('.timeline li[data-kind="note"]').getByText('Note from the CLI').waitFor({ timeout: WAIT });
  });

  test('runbook run: tick a checklist step and approve a command', async (tt) => {
    const inc = (await t.call('GET', `/api/v1/incidents/${ids.drill}`)).body;
    const session = await page.evaluate(() => fetch('/api/v1/session').then((r) => r.json()));
    if (!inc.run || !session.features.step_complete || !session.features.step_approve) {
      tt.skip('runbook runs are not exposed by this server yet (no incident.run or no /steps/{step}/complete|approve)');
      return;
    }
    await page.goto(`${base}/incidents/${ids.drill}`);
    const manual = page.locator('li.step[data-step-id="look-around"]');
    await manual.getByRole('button', { name: 'Mark done' }).click();
    await manual.locator('.badge', { hasText: 'Done' }).waitFor({ timeout: WAIT });
    const command = page.locator('li.step[data-step-id="stop-writes"]');
    await command.getByRole('button', { name: 'Approve and run' }).click();
    await command.getByRole('button', { name: 'Approve and run' }).waitFor({ state: 'detached', timeout: WAIT });
    const after = (await t.call('GET', `/api/v1/incidents/${ids.drill}`)).body;
    const state = (id: string) => {
      const s = after.run.steps.find((x: { id: string }) => x.id === id);
      return s.state ?? s.status;
    };
    assert.equal(state('look-around'), 'done');
    assert.notEqual(state('stop-writes'), 'awaiting_approval');
    await shot(page, '05-runbook-run');
  });

  test('security: lift a ban and edit the allowlist through the real API', async (tt) => {
    const session = await page.evaluate(() => fetch('/api/v1/session').then((r) => r.json()));
    const f = session.features;
    if (!f.decisions || !f.decision_lift || !f.allowlist_add || !f.allowlist_remove) {
      tt.skip('decisions or allowlist endpoints are not on this server yet');
      return;
    }
    const ban = await t.call('POST', '/api/v1/decisions', {
      scope: 'ip',
      value: '192.0.2.66',
      type: 'ban',
      duration: '1h',
      reason: 'dashboard test ban',
      incident_id: ids.live,
    });
    assert.equal(ban.status, 201, JSON.stringify(ban.body));
    await page.getByRole('link', { name: 'Security' }).click();
    const table = page.getByRole('table', { name: 'Active decisions' });
    const row = table.locator('tr', { hasText: '192.0.2.66' });
    await row.waitFor({ timeout: WAIT });
    assert.match(await row.innerText(), /Ban[\s\S]*in (59m|1h)[\s\S]*dashboard test ban/);
    await row.getByRole('button', { name: 'Lift' }).click();
    await row.getByRole('button', { name: 'Confirm lift' }).click();
    await row.waitFor({ state: 'detached', timeout: WAIT });
    const lifted = await t.call('GET', `/api/v1/decisions/${ban.body.id}`);
    assert.equal(lifted.body.active, false, JSON.stringify(lifted.body));
    assert.ok(lifted.body.ended_at);

    await page.getByLabel('IP or CIDR range').fill('198.51.100.0/24');
    await page.getByLabel('Note').fill('office network');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    const allow = page.getByRole('table', { name: 'Allowlist' });
    const entry = allow.locator('tr', { hasText: '198.51.100.0/24' });
    await entry.waitFor({ timeout: WAIT });
    assert.match(await entry.innerText(), /office network[\s\S]*bootstrap-admin/);
    let listed = await t.call('GET', '/api/v1/allowlist');
    assert.ok(listed.body.items.some((e: { cidr: string }) => e.cidr === '198.51.100.0/24'));
    await shot(page, '06-security-real');
    await entry.getByRole('button', { name: 'Remove' }).click();
    await entry.getByRole('button', { name: 'Confirm remove' }).click();
    await entry.waitFor({ state: 'detached', timeout: WAIT });
    listed = await t.call('GET', '/api/v1/allowlist');
    assert.ok(!listed.body.items.some((e: { cidr: string }) => e.cidr === '198.51.100.0/24'));
  });

  test('security, health and on-call pages', async () => {
    await page.getByRole('link', { name: 'Security' }).click();
    await page.getByRole('heading', { name: 'Security', level: 1 }).waitFor({ timeout: WAIT });
    await page.getByRole('heading', { name: 'Active decisions' }).waitFor();
    await page.getByRole('heading', { name: 'Allowlist' }).waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Security', 'focus moves to the new page heading');
    await shot(page, '06-security');
    await page.getByRole('link', { name: 'Health' }).click();
    await page.getByRole('heading', { name: 'Health', level: 1 }).waitFor({ timeout: WAIT });
    await page.getByRole('region', { name: 'Database: ok' }).waitFor({ timeout: WAIT });
    await shot(page, '07-health');
    await page.getByRole('link', { name: 'On call' }).click();
    await page.getByRole('heading', { name: 'On call', level: 1 }).waitFor({ timeout: WAIT });
    await page.getByRole('heading', { name: 'Schedules' }).waitFor();
    await shot(page, '08-oncall');
    await page.goBack();
    await page.getByRole('heading', { name: 'Health', level: 1 }).waitFor({ timeout: WAIT });
  });

  test('keyboard: skip link first, then the navigation; links open with Enter', async () => {
    await page.goto(base);
    await page.getByRole('heading', { name: 'Incidents', level: 1 }).waitFor({ timeout: WAIT });
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent?.trim()), 'Skip to content');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'main');
    await page.getByRole('link', { name: 'Checkout errors above 10/min' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Checkout errors above 10/min', level: 1 }).waitFor({ timeout: WAIT });
    assert.equal(await page.evaluate(() => document.activeElement?.tagName), 'H1', 'focus on the heading of the page opened');
  });

  test('dark mode and a phone-sized screen', async () => {
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.goto(base);
    await page.locator(`tr[data-incident-id="${ids.breached}"]`).waitFor({ timeout: WAIT });
    await shot(page, '09-incidents-dark');
    await page.goto(`${base}/incidents/${ids.live}`);
    await page.locator('.timeline li[data-kind="note"]').first().waitFor({ timeout: WAIT });
    await shot(page, '10-incident-dark');
    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize({ width: 360, height: 740 });
    for (const [url, name, ready] of [
      ['/', '11-phone-incidents', `tr[data-incident-id="${ids.breached}"]`],
      [`/incidents/${ids.live}`, '12-phone-incident', '.timeline li'],
      ['/health', '13-phone-health', '.component'],
    ] as const) {
      await page.goto(`${base}${url}`);
      await page.locator(ready).first().waitFor({ timeout: WAIT });
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `${url} scrolls sideways by ${overflow}px at 360px`);
      await shot(page, name);
    }
    await page.setViewportSize({ width: 1280, height: 860 });
  });

  test('sign out ends the session', async () => {
    await page.goto(base);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to Firebreak' }).waitFor({ timeout: WAIT });
    await page.getByText('You signed out.').waitFor();
    const cookies = await admin.cookies();
    assert.ok(!cookies.some((c) => c.name === 'fb_session' && c.value), JSON.stringify(cookies));
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in to Firebreak' }).waitFor({ timeout: WAIT });
  });

  test('a viewer sees everything and no button that would be refused', async () => {
    await driver.withSignedIn('viewer', viewerToken, async (p) => {
      assert.match(await p.locator('.who').innerText(), /vic-viewer\s+viewer/);
      await p.getByRole('link', { name: 'Checkout errors above 10/min' }).click();
      await p.getByRole('heading', { name: 'Checkout errors above 10/min', level: 1 }).waitFor({ timeout: WAIT });
      await p.locator('.timeline li[data-kind="opened"]').waitFor({ timeout: WAIT });
      const visibleButtons = async () => (await p.getByRole('button').allInnerTexts()).map((s) => s.trim());
      assert.deepEqual(await visibleButtons(), ['Sign out'], 'only sign out on the incident page');
      assert.equal(await p.getByLabel('Add a note').count(), 0);
      await shot(p, '14-viewer-incident');
      await p.goto(`${base}/incidents/${ids.drill}`);
      await p.getByRole('heading', { name: 'Drill: stop writes', level: 1 }).waitFor({ timeout: WAIT });
      assert.deepEqual(await visibleButtons(), ['Sign out'], 'no step buttons either');
      for (const name of ['Security', 'Health', 'On call']) {
        await p.getByRole('link', { name }).click();
        await p.getByRole('heading', { name, level: 1 }).waitFor({ timeout: WAIT });
        await p.waitForTimeout(300);
        const buttons = await visibleButtons();
        assert.ok(
          buttons.every((b) => !MUTATING.test(b)),
          `${name}: ${buttons.join(', ')}`,
        );
      }
      // The viewer's session really is read-only on the server too.
      const refused = await t.fb.app.inject({
        method: 'POST',
        url: `/api/v1/incidents/${ids.first}/acknowledge`,
        headers: {
          cookie: (await p.context().cookies()).map((c) => `${c.name}=${c.value}`).join('; '),
          'x-csrf-token': await p.evaluate(() =>
            fetch('/api/v1/session')
              .then((r) => r.json())
              .then((s) => s.csrf_token),
          ),
        },
      });
      assert.equal(refused.statusCode, 403);
    });
  });

  test('no console errors, no failed requests, no refused requests on any page', () => {
    assert.deepEqual(problems, []);
  });
});

/**
 * The views whose endpoints may not exist yet on the real server (decisions,
 * allowlist, schedules, time series, an incident's escalation), against a
 * stub API with the shapes the dashboard expects, behind the real session
 * routes and role checks. Proves the data paths render, act and stay quiet.
 */
describe('dashboard views with every optional endpoint (stub API)', () => {
  let t: TestFirebreak;
  let stub: FastifyInstance;
  let base: string;
  let browser: Browser;
  let viewerToken: string;
  const problems: string[] = [];
  const driver = dashboardDriver({ browser: () => browser, base: () => base, problems, shots: SHOTS, waitMs: WAIT });
  const { shot } = driver;
  const writes: string[] = [];
  const now = Date.now();
  const iso = (deltaMs: number) => new Date(now + deltaMs).toISOString();
  const minute = 60_000;

  const incident = {
    id: '7',
    type: 'brute_force_attempt',
    severity: 'high',
    status: 'triggered',
    title: 'Brute force from 203.0.113.9',
    description: null,
    dedup_key: 'ip:203.0.113.9',
    source: 'rule',
    created_by: 'rule:brute_force_attempt',
    created_at: iso(-20 * minute),
    ack_deadline: iso(40 * minute),
    acknowledged_at: null,
    resolved_at: null,
    sla_breached: false,
    detection_count: 3,
    run: {
      runbook: { title: 'Brute Force Attack' },
      steps: [
        {
          id: 'block-ip',
          title: 'Block the address',
          kind: 'action',
          state: 'succeeded',
          action: 'block_ip',
          output: 'banned 203.0.113.9 for 1h',
        },
        {
          id: 'check-accounts',
          title: 'Check targeted accounts',
          kind: 'manual',
          state: 'pending',
          manual: '- Look for successful logins\n- Reset passwords if needed',
        },
        {
          id: 'dump-sessions',
          title: 'Dump sessions',
          kind: 'command',
          state: 'failed',
          command: 'psql -c "select 1"',
          error: 'exit code 2',
          output: 'psql: could not connect',
        },
      ],
      checks: [{ id: 'quiet', title: 'No more failed logins for 30 minutes', kind: 'rule', ok: false }],
    },
  };
  const decisions = [
    {
      id: 'd1',
      scope: 'ip',
      value: '203.0.113.9',
      type: 'ban',
      until: iso(55 * minute),
      origin: 'rule:brute_force_attempt',
      reason: '5 failed logins in 10 minutes',
      incident_id: '7',
    },
    {
      id: 'd2',
      scope: 'ip',
      value: '198.51.100.77',
      type: 'rate_limit',
      until: iso(8 * minute),
      origin: 'rule:ddos',
      reason: '600 requests in 60 s',
      incident_id: '3',
    },
    {
      id: 'd3',
      scope: 'user',
      value: 'alice',
      type: 'lock',
      until: null,
      origin: 'operator:bootstrap-admin',
      reason: 'logins from 3 countries',
      incident_id: '4',
    },
  ];
  const allowlist = [{ id: 'a1', cidr: '198.51.100.0/24', note: 'office network' }];

  function stubRoutes(app: FastifyInstance, ctx: HttpContext): void {
    const who = (req: Parameters<HttpContext['actor']>[0], p: Permission) => ctx.actor(req, p);
    app.get('/api/v1/incidents', async (req) => (await who(req, 'read'), { items: [incident], next_cursor: null }));
    app.get('/api/v1/incidents/:id', async (req) => (await who(req, 'read'), incident));
    app.get('/api/v1/incidents/:id/timeline', async (req) => {
      await who(req, 'read');
      const after = (req.query as { cursor?: string }).cursor;
      const items = [
        { id: '1', at: iso(-20 * minute), kind: 'opened', actor: 'rule:brute_force_attempt', message: 'Incident opened', data: null },
        { id: '2', at: iso(-20 * minute), kind: 'action', actor: 'system', message: 'Banned 203.0.113.9 for 1h', data: null },
        { id: '3', at: iso(-5 * minute), kind: 'escalated', actor: 'system', message: 'Escalated to on-call', data: null },
      ].filter((e) => !after || Number(e.id) > Number(after));
      return { items, next_cursor: null };
    });
    app.get('/api/v1/incidents/:id/escalation', async (req) => {
      await who(req, 'read');
      return {
        incident_id: '7',
        policy: {
          name: 'default',
          repeat: 0,
          levels: [
            { level: 1, name: 'automated', notify: ['channel:ops-hook'], timeout: '5m' },
            { level: 2, name: 'on-call', notify: ['schedule:primary'], timeout: '15m' },
            { level: 3, name: 'security-team', notify: ['person:carol', 'channel:ops-slack'], timeout: '15m' },
          ],
        },
        level: 2,
        cycle: 0,
        next_at: iso(10 * minute),
        stopped: false,
        exhausted: false,
        notifications: [
          {
            target: 'channel:ops-hook',
            channel: 'ops-hook',
            recipient: null,
            status: 'sent',
            level: 1,
            sent_at: iso(-20 * minute),
            last_error: null,
          },
          {
            target: 'schedule:primary',
            channel: 'mail',
            recipient: 'alice@example.com',
            status: 'failed',
            level: 2,
            sent_at: null,
            created_at: iso(-5 * minute),
            last_error: 'SMTP 421 try later',
          },
        ],
      };
    });
    for (const verb of ['complete', 'approve', 'retry', 'skip']) {
      app.post<{ Params: { id: string; step: string } }>(`/api/v1/incidents/:id/steps/:step/${verb}`, async (req) => {
        await who(req, 'incidents:write');
        writes.push(`${verb} ${req.params.step}`);
        return incident.run;
      });
    }
    app.get('/api/v1/decisions', async (req) => {
      await who(req, 'read');
      const id = (req.query as { incident_id?: string }).incident_id;
      return { items: decisions.filter((d) => !id || d.incident_id === id), next_cursor: null };
    });
    app.delete<{ Params: { id: string } }>('/api/v1/decisions/:id', async (req) => {
      await who(req, 'decisions:write');
      const i = decisions.findIndex((d) => d.id === req.params.id);
      writes.push(`lift ${req.params.id}`);
      return decisions.splice(i, 1)[0];
    });
    app.get('/api/v1/allowlist', async (req) => (await who(req, 'read'), { items: allowlist, next_cursor: null }));
    app.post('/api/v1/allowlist', async (req, reply) => {
      await who(req, 'decisions:write');
      const body = req.body as { cidr: string; note?: string };
      const entry = { id: `a${allowlist.length + 10}`, cidr: body.cidr, note: body.note ?? '' };
      allowlist.push(entry);
      writes.push(`allow ${body.cidr} ${body.note ?? ''}`);
      return reply.code(201).send(entry);
    });
    app.delete<{ Params: { id: string } }>('/api/v1/allowlist/:id', async (req) => {
      await who(req, 'decisions:write');
      const i = allowlist.findIndex((a) => a.id === req.params.id);
      writes.push(`unallow ${req.params.id}`);
      return allowlist.splice(i, 1)[0];
    });
    app.get('/api/v1/stats/timeseries', async (req) => {
      await who(req, 'read');
      const start = Math.floor(now / minute) * minute - 59 * minute;
      return {
        buckets: Array.from({ length: 60 }, (_, i) => ({
          t: new Date(start + i * minute).toISOString(),
          events: 400 + Math.round(300 * Math.sin(i / 6)) + (i > 40 && i < 46 ? 1500 : 0),
          detections: i > 40 && i < 46 ? 3 : 0,
          errors: i % 17 === 0 ? 4 : 1,
        })),
      };
    });
    app.get('/api/v1/schedules', async (req) => {
      await who(req, 'read');
      return {
        items: [
          {
            name: 'primary',
            time_zone: 'Europe/Berlin',
            now: { person: 'Alice', until: iso(26 * 60 * minute) },
            next: { person: 'Bob', from: iso(26 * 60 * minute) },
          },
          {
            name: 'database',
            time_zone: 'America/New_York',
            now: { person: null, until: iso(3 * 60 * minute) },
            next: { person: 'Dana', from: iso(3 * 60 * minute) },
          },
        ],
        next_cursor: null,
      };
    });
    app.get('/api/v1/escalation-policies', async (req) => {
      await who(req, 'read');
      return {
        items: [
          {
            name: 'default',
            source: 'config',
            repeat: 1,
            level_timeout: '15m',
            levels: [
              { level: 1, name: 'automated', notify: ['channel:ops-hook'], timeout: '5m' },
              { level: 2, name: 'on-call', notify: ['schedule:primary'], timeout: null },
            ],
          },
        ],
        next_cursor: null,
      };
    });
    app.get('/api/health/detailed', async () => ({
      status: 'degraded',
      version: 'test',
      uptime_seconds: 3725,
      storage: 'embedded',
      components: {
        database: { status: 'ok', latency_ms: 1.2, kind: 'embedded' },
        probes: {
          status: 'degraded',
          latency_ms: 0.4,
          items: [
            { name: 'api', status: 'ok' },
            { name: 'db', status: 'down', error: 'connection refused' },
          ],
        },
        sources: { status: 'ok', latency_ms: 0.2, items: [{ name: '/var/log/auth.log', status: 'ok' }] },
      },
    }));
  }

  async function waitUntil(ok: () => boolean): Promise<void> {
    const deadline = Date.now() + WAIT;
    while (!ok()) {
      if (Date.now() > deadline) throw new Error('timed out');
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  before(async () => {
    const build = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'build-web.js')], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(build.status, 0, `dashboard build failed:\n${build.stdout}\n${build.stderr}`);
    mkdirSync(SHOTS, { recursive: true });
    t = await startTestFirebreak('embedded'); // for tokens only
    viewerToken = await t.makeToken('viewer', 'vic-viewer');
    const sessions = createSessionStore(t.fb.deps);
    const fromSession = sessionActor(sessions);
    const ctx = {
      deps: t.fb.deps,
      sessions,
      limits: memoryFailureLimits(),
      actor: (req, p) => requireActor(t.fb.deps, req, p, fromSession),
    } as HttpContext;
    stub = Fastify();
    stub.setErrorHandler((err, _req, reply) => sendError(reply, normalizeHttpError(err)));
    stub.setNotFoundHandler((req, reply) =>
      reply.code(404).send({ error: { code: 'not_found', message: `no route ${req.method} ${req.url}` } }),
    );
    for (const r of [stubRoutes, sessionRoutes, staticRoutes]) r(stub, ctx);
    base = await stub.listen({ host: '127.0.0.1', port: 0 });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
  });

  after(async () => {
    await browser?.close();
    await stub?.close();
    await t?.close();
  });

  test('security: lift a decision, add and remove allowlist entries', async () => {
    await driver.withSignedIn('admin', TEST_ADMIN_TOKEN, async (p) => {
      await p.getByRole('link', { name: 'Security' }).click();
      await p.getByRole('heading', { name: 'Security', level: 1 }).waitFor({ timeout: WAIT });
      const table = p.getByRole('table', { name: 'Active decisions' });
      await table.getByText('203.0.113.9').waitFor({ timeout: WAIT });
      assert.equal(await table.locator('tbody tr').count(), 3);
      assert.match(await table.locator('tbody tr').nth(0).innerText(), /Ban[\s\S]*in 5\dm[\s\S]*5 failed logins/);
      assert.match(await table.locator('tbody tr').nth(2).innerText(), /never/);
      await shot(p, '20-security-data');
      const limited = table.locator('tr', { hasText: '198.51.100.77' });
      await limited.getByRole('button', { name: 'Lift' }).click();
      await limited.getByRole('button', { name: 'Confirm lift' }).click();
      await table.getByText('198.51.100.77').waitFor({ state: 'detached', timeout: WAIT });
      assert.deepEqual(writes, ['lift d2']);

      await p.getByLabel('IP or CIDR range').fill('203.0.113.0/24');
      await p.getByLabel('Note').fill('partner VPN');
      await p.getByRole('button', { name: 'Add', exact: true }).click();
      const allow = p.getByRole('table', { name: 'Allowlist' });
      await allow.getByText('203.0.113.0/24').waitFor({ timeout: WAIT });
      const office = allow.locator('tr', { hasText: '198.51.100.0/24' });
      await office.getByRole('button', { name: 'Remove' }).click();
      await office.getByRole('button', { name: 'Confirm remove' }).click();
      await allow.getByText('198.51.100.0/24').waitFor({ state: 'detached', timeout: WAIT });
      assert.deepEqual(writes, ['lift d2', 'allow 203.0.113.0/24 partner VPN', 'unallow a1']);
    });
  });

  test('health: components with probes and sources, and three uPlot charts', async () => {
    for (const scheme of ['light', 'dark'] as const) {
      await driver.withSignedIn(
        `admin-${scheme}`,
        TEST_ADMIN_TOKEN,
        async (p) => {
          await p.getByRole('link', { name: 'Health' }).click();
          await p.getByRole('region', { name: 'Probes: degraded' }).getByText('connection refused').waitFor({ timeout: WAIT });
          await p.locator('.chart canvas').nth(2).waitFor({ timeout: WAIT });
          assert.equal(await p.locator('.chart canvas').count(), 3);
          const captions = await p.locator('.chart figcaption').allInnerTexts();
          assert.match(captions[0]!, /Events latest \d+ a minute, peak \d+ a minute/);
          assert.match(captions[1]!, /Detections latest 0 a minute, peak 3 a minute/);
          await shot(p, scheme === 'light' ? '21-health-charts' : '22-health-charts-dark');
          if (scheme === 'light') {
            await p.setViewportSize({ width: 360, height: 740 });
            await p.waitForTimeout(200); // ResizeObserver → uPlot.setSize
            const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
            assert.ok(overflow <= 0, `health scrolls sideways by ${overflow}px at 360px`);
            await shot(p, '23-phone-health-charts');
          }
        },
        { colorScheme: scheme },
      );
    }
  });

  test('on call: who is on call now and next, and the policies', async () => {
    await driver.withSignedIn('admin', TEST_ADMIN_TOKEN, async (p) => {
      await p.getByRole('link', { name: 'On call' }).click();
      const table = p.getByRole('table', { name: 'Who is on call now and next, per schedule' });
      await table.getByText('Alice').waitFor({ timeout: WAIT });
      assert.match(
        await table.locator('tr', { hasText: 'primary' }).innerText(),
        /Europe\/Berlin[\s\S]*Alice until in 25h 5\dm[\s\S]*Bob from in 25h 5\dm/,
      );
      assert.match(await table.locator('tr', { hasText: 'database' }).innerText(), /nobody \(gap\)/);
      assert.match(
        await p.getByRole('region', { name: 'Policy default' }).innerText(),
        /automated: channel:ops-hook · waits 5m[\s\S]*on-call: schedule:primary · waits 15m[\s\S]*Repeats 1 more times/,
      );
      await shot(p, '24-oncall-data');
    });
  });

  test('incident: escalation level and notifications, its decisions, a failed step to retry', async () => {
    await driver.withSignedIn('admin', TEST_ADMIN_TOKEN, async (p) => {
      await p.getByRole('link', { name: 'Brute force from 203.0.113.9' }).click();
      const esc = p.getByRole('region', { name: 'Escalation' });
      await esc.getByText('At level 2 of 3').waitFor({ timeout: WAIT });
      assert.match(await esc.innerText(), /Next level in \d+m \d\ds/);
      assert.equal(await esc.locator('li[aria-current="step"]').innerText(), 'on-call: schedule:primary · waits 15m');
      assert.match(
        await esc.locator('.notified').innerText(),
        /alice@example\.com \(schedule:primary\) via mail · level 2[\s\S]*Failed — SMTP 421 try later/,
      );
      await p.getByRole('region', { name: 'Decisions' }).getByText('203.0.113.9').waitFor({ timeout: WAIT });
      assert.equal(await p.getByRole('region', { name: 'Decisions' }).locator('li').count(), 1, 'only this incident’s decisions');
      assert.equal(await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth), 0, 'nothing sticks out sideways');
      await p.locator('li.step[data-step-id="dump-sessions"]').getByRole('button', { name: 'Retry' }).click();
      await waitUntil(() => writes.includes('retry dump-sessions'));
      assert.equal(
        await p.locator('li.step[data-step-id="block-ip"]').getByRole('button').count(),
        0,
        'nothing to do on a finished automated step',
      );
      assert.match(await p.getByRole('region', { name: 'Runbook' }).innerText(), /Failing\s+No more failed logins/);
      await shot(p, '25-incident-escalation');
    });
  });

  test('a viewer sees the data and no action on any page', async () => {
    await driver.withSignedIn('viewer', viewerToken, async (p) => {
      for (const [link, ready] of [
        ['Security', '.decisions tbody tr'],
        ['Health', '.chart canvas'],
        ['On call', '.policy'],
      ] as const) {
        await p.getByRole('link', { name: link }).click();
        await p.locator(ready).first().waitFor({ timeout: WAIT });
        assert.deepEqual(
          (await p.getByRole('button').allInnerTexts()).map((b) => b.trim()),
          ['Sign out'],
          link,
        );
        assert.equal(await p.locator('input, textarea').count(), link === 'Security' ? 1 : 0, `${link}: only the decisions search box`);
      }
      await p.goto(`${base}/incidents/7`);
      await p.locator('li.step').first().waitFor({ timeout: WAIT });
      await p.getByRole('region', { name: 'Decisions' }).locator('li').first().waitFor({ timeout: WAIT });
      assert.deepEqual(
        (await p.getByRole('button').allInnerTexts()).map((b) => b.trim()),
        ['Sign out'],
      );
      await shot(p, '26-viewer-incident-escalation');
    });
  });

  test('no console errors, no failed or refused requests (stub API)', () => {
    assert.deepEqual(problems, []);
  });
});
