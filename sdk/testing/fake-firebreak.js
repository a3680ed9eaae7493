// A loopback stand-in for Firebreak's bouncer stream and event ingest, used by
// the SDK tests. It plays the protocol, not Firebreak's logic:
// - GET /v1/decisions/stream?startup=true: every active decision, and the
//   per-key delta cursor starts over; without startup: what changed since.
// - `duration` is the time remaining, in Go syntax, computed at each answer.
// - down() really closes the socket (connections refused); up() listens again
//   on the same port and, like a restarted server with a lost cursor, has
//   forgotten pending deltas: only a startup=true pull gets a client right.
// - POST /api/v1/events records batches; answers are scripted with answerEvents().
import http from 'node:http';

export const BOUNCER_KEY = 'test-bouncer-key';
export const INGEST_TOKEN = 'test-ingest-token';

/** Starts the fake on 127.0.0.1 (`port`, default random). */
export async function startFakeFirebreak({ port: wanted = 0 } = {}) {
  const active = new Map();
  let pendingNew = [];
  let pendingDeleted = [];
  const pulls = [];
  const batches = [];
  const eventAnswers = [];
  let server = null;
  let port = 0;

  function wire(d) {
    const { expiresAt, ...rest } = d;
    return { ...rest, duration: `${Math.max(0, expiresAt - Date.now()) / 1000}s` };
  }

  function send(res, status, body, headers = {}) {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(body === undefined ? '' : JSON.stringify(body));
  }

  function handle(req, res) {
    const u = new URL(req.url, 'http://x');
    if (req.method === 'GET' && u.pathname === '/v1/decisions/stream') {
      if (req.headers['x-api-key'] !== BOUNCER_KEY) return send(res, 403, { message: 'access forbidden' });
      const startup = u.searchParams.get('startup') === 'true';
      pulls.push({ startup, at: Date.now() });
      let body;
      if (startup) {
        body = { new: [...active.values()].filter((d) => d.expiresAt > Date.now()).map(wire), deleted: [] };
      } else {
        body = { new: pendingNew.length ? pendingNew.map(wire) : null, deleted: pendingDeleted.length ? pendingDeleted.map(wire) : null };
      }
      pendingNew = [];
      pendingDeleted = [];
      return send(res, 200, body);
    }
    if (req.method === 'POST' && u.pathname === '/api/v1/events') {
      let raw = '';
      req.on('data', (c) => {
        raw += c;
      });
      req.on('end', () => {
        const answer = eventAnswers.shift() ?? { status: 202 };
        batches.push({ at: Date.now(), auth: req.headers.authorization, status: answer.status, events: JSON.parse(raw) });
        send(
          res,
          answer.status,
          answer.status === 202 ? { accepted: 0 } : { error: { code: 'unavailable', message: 'try later' } },
          answer.headers,
        );
      });
      return undefined;
    }
    return send(res, 404, { error: { code: 'not_found', message: 'no route' } });
  }

  async function listen(p) {
    server = http.createServer(handle);
    await new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(p, '127.0.0.1', resolve);
    });
    port = server.address().port;
  }

  async function close() {
    if (server === null) return;
    const s = server;
    server = null;
    s.closeAllConnections();
    await new Promise((resolve) => s.close(() => resolve()));
  }

  await listen(wanted);
  return {
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    pulls,
    batches,
    /** Adds an active decision: {id, type, scope, value, ttlMs}. */
    add({ ttlMs = 3_600_000, ...d }) {
      const full = { origin: 'firebreak', scenario: 'test', ...d, expiresAt: Date.now() + ttlMs };
      active.set(d.id, full);
      pendingNew.push(full);
    },
    /** Deletes an active decision by id. */
    remove(id) {
      const d = active.get(id);
      if (d === undefined) return;
      active.delete(id);
      pendingDeleted.push(d);
    },
    /** Scripts the next answers of the events endpoint, e.g. {status: 503, headers: {'retry-after': '1'}}. */
    answerEvents(...answers) {
      eventAnswers.push(...answers);
    },
    async down() {
      await close();
    },
    async up() {
      pendingNew = [];
      pendingDeleted = [];
      await listen(port);
    },
    close,
  };
}

/** Polls `fn` until it returns a truthy value or `timeoutMs` passes. */
export async function waitFor(fn, timeoutMs = 3000, what = 'condition') {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
