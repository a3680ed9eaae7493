/**
 * Driving the dashboard in Chromium for tests: watch pages for problems,
 * sign in, take screenshots, and run a step in a fresh signed-in page.
 */
import path from 'node:path';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';

export interface DashboardDriver {
  /** Records console errors, page errors, failed requests and HTTP errors of `p` in `problems`. */
  watch(p: Page, who: string): void;
  signIn(p: Page, token: string): Promise<void>;
  /** A full-page screenshot from the top, into the screenshots folder. */
  shot(p: Page, name: string): Promise<void>;
  /** Runs `fn` in a new watched page signed in with `token`, then closes its context. */
  withSignedIn(who: string, token: string, fn: (p: Page) => Promise<void>, context?: BrowserContextOptions): Promise<void>;
}

/** `browser()` and `base()` are read when used: tests set them up in `before`. */
export function dashboardDriver(o: {
  browser: () => Browser;
  base: () => string;
  problems: string[];
  shots: string;
  waitMs: number;
}): DashboardDriver {
  const d: DashboardDriver = {
    watch(p, who) {
      p.on('console', (m) => {
        if (m.type() === 'error') o.problems.push(`[${who}] console error: ${m.text()} at ${m.location().url}`);
      });
      p.on('pageerror', (e) => o.problems.push(`[${who}] uncaught: ${e.message}`));
      // ERR_ABORTED is the browser cancelling a request because the test navigated away (or closed the page), not a failure.
      p.on('requestfailed', (r) => {
        if (r.failure()?.errorText !== 'net::ERR_ABORTED')
          o.problems.push(`[${who}] request failed: ${r.method()} ${r.url()} ${r.failure()?.errorText ?? ''}`);
      });
      p.on('response', (r) => {
        if (r.status() >= 400) o.problems.push(`[${who}] HTTP ${r.status()} for ${r.request().method()} ${r.url()}`);
      });
    },
    async signIn(p, token) {
      await p.goto(o.base());
      await p.getByRole('heading', { name: 'Sign in to Firebreak' }).waitFor({ timeout: o.waitMs });
      await p.getByLabel('API token').fill(token);
      await p.getByRole('button', { name: 'Sign in' }).click();
      await p.getByRole('heading', { name: 'Incidents', level: 1 }).waitFor({ timeout: o.waitMs });
    },
    async shot(p, name) {
      // From the top: a full-page capture of a scrolled page draws the sticky header mid-page.
      await p.evaluate(() => window.scrollTo(0, 0));
      await p.screenshot({ path: path.join(o.shots, `${name}.png`), fullPage: true });
    },
    async withSignedIn(who, token, fn, context = {}) {
      const ctx = await o.browser().newContext({ viewport: { width: 1280, height: 860 }, ...context });
      try {
        const p = await ctx.newPage();
        d.watch(p, who);
        await d.signIn(p, token);
        await fn(p);
      } finally {
        await ctx.close();
      }
    },
  };
  return d;
}
