import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import http from 'node:http';
import pino from 'pino';
import { createProbeManager, type ProbeState } from './probe-manager.ts';
import { runProbe, type ProbeConfig } from './run-probe.ts';

const probe = (p: Partial<ProbeConfig> & Pick<ProbeConfig, 'name' | 'type' | 'url'>): ProbeConfig => ({
  interval: 50,
  timeout: 300,
  failures: 3,
  ...p,
});
const listen = async (s: net.Server | http.Server): Promise<number> => {
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return (s.address() as net.AddressInfo).port;
};
const closedPort = async (): Promise<number> => {
  const s = net.createServer();
  const port = await listen(s);
  await new Promise((r) => s.close(r));
  return port;
};

describe('probe checks', () => {
  const sockets = new Set<net.Socket>();
  let hang: net.Server;
  let hangPort: number;
  let resp: net.Server;
  let respPort: number;
  let web: http.Server;
  let webPort: number;
  let status = 200;
  before(async () => {
    // Accepts connections and never says a word.
    hang = net.createServer((s) => sockets.add(s));
    hangPort = await listen(hang);
    // A tiny RESP server: AUTH s3cret, SELECT, PING.
    resp = net.createServer((s) => {
      sockets.add(s);
      let authed = false;
      s.on('data', (d) => {
        const parts = d
          .toString()
          .split('\r\n')
          .filter((x, i) => i % 2 === 0 && x !== '')
          .slice(1);
        const [cmd, ...args] = parts;
        if (cmd === 'AUTH') {
          authed = args[args.length - 1] === 's3cret';
          s.write(authed ? '+OK\r\n' : '-WRONGPASS invalid password\r\n');
        } else if (cmd === 'SELECT') s.write('+OK\r\n');
        else if (cmd === 'PING') s.write(authed ? '+PONG\r\n' : '-NOAUTH Authentication required.\r\n');
      });
    });
    respPort = await listen(resp);
    web = http.createServer((_q, r) => r.writeHead(status).end());
    webPort = await listen(web);
  });
  after(async () => {
    for (const s of sockets) s.destroy();
    await Promise.all([hang, resp, web].map((s) => new Promise((r) => s.close(r))));
  });

  test('http: 2xx by default, or the expected status', async () => {
    const url = `http://127.0.0.1:${webPort}/`;
    assert.equal((await runProbe(probe({ name: 'w', type: 'http', url }))).ok, true);
    status = 503;
    const r = await runProbe(probe({ name: 'w', type: 'http', url }));
    assert.equal(r.ok, false);
    assert.match(r.error!, /HTTP 503 \(expected 2xx\)/);
    assert.equal((await runProbe(probe({ name: 'w', type: 'http', url, expect_status: 503 }))).ok, true);
    status = 200;
  });

  test('tcp and redis (RESP with AUTH); refused connections fail', async () => {
    assert.equal((await runProbe(probe({ name: 't', type: 'tcp', url: `127.0.0.1:${respPort}` }))).ok, true);
    const refused = await closedPort();
    const r = await runProbe(probe({ name: 't', type: 'tcp', url: `tcp://127.0.0.1:${refused}` }));
    assert.equal(r.ok, false);
    assert.match(r.error!, /ECONNREFUSED/);
    assert.equal((await runProbe(probe({ name: 'r', type: 'redis', url: `redis://:s3cret@127.0.0.1:${respPort}/2` }))).ok, true);
    const bad = await runProbe(probe({ name: 'r', type: 'redis', url: `redis://:nope@127.0.0.1:${respPort}` }));
    assert.equal(bad.ok, false);
    assert.match(bad.error!, /AUTH failed: WRONGPASS/);
    const noAuth = await runProbe(probe({ name: 'r', type: 'redis', url: `redis://127.0.0.1:${respPort}` }));
    assert.match(noAuth.error!, /NOAUTH/);
  });

  test('a hanging target times out for every probe type', async () => {
    for (const [type, url] of [
      ['http', `http://127.0.0.1:${hangPort}/`],
      ['postgres', `postgres://u@127.0.0.1:${hangPort}/db`],
      ['redis', `redis://127.0.0.1:${hangPort}`],
    ] as const) {
      const t0 = Date.now();
      const r = await runProbe(probe({ name: type, type, url, timeout: 250 }));
      const took = Date.now() - t0;
      assert.equal(r.ok, false, type);
      assert.match(r.error!, /timed out|timeout/i, `${type}: ${r.error}`);
      assert.ok(took < 1500, `${type} took ${took} ms`);
    }
  });

  test('probes never block each other; down after N failures once, up on recovery', async () => {
    let webUp = true;
    const downs: ProbeState[] = [];
    const ups: string[] = [];
    const m = createProbeManager({
      probes: [
        probe({ name: 'slow', type: 'http', url: `http://127.0.0.1:${hangPort}/`, interval: 20, timeout: 1000 }),
        probe({ name: 'fast', type: 'tcp', url: `127.0.0.1:${respPort}`, interval: 20 }),
      ],
      clock: () => new Date(),
      logger: pino({ level: 'silent' }),
      run: async (p) => (p.name === 'fast' && !webUp ? { ok: false, latencyMs: 1, error: 'boom' } : runProbe(p)),
      onDown: async (p, s) => void downs.push({ ...s, name: p.name }),
      onUp: async (p) => void ups.push(p.name),
    });
    m.start();
    try {
      await new Promise((r) => setTimeout(r, 300));
      assert.ok(m.state('fast')!.runs >= 5, `fast probe ran ${m.state('fast')!.runs} times while the slow one hangs`);
      assert.equal(m.state('slow')!.runs, 0, 'the slow one is still in its first run');
      webUp = false;
      const until = Date.now() + 2000;
      while (m.state('fast')!.consecutive_failures < 8 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      assert.equal(m.state('fast')!.status, 'down');
      assert.equal(downs.filter((d) => d.name === 'fast').length, 1, 'onDown once per outage');
      assert.equal(downs[0]!.consecutive_failures, 3);
      webUp = true;
      while (m.state('fast')!.status !== 'up' && Date.now() < until + 2000) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(ups, ['fast']);
      assert.equal(m.state('slow')!.status, 'unknown');
    } finally {
      await m.stop();
    }
    assert.equal(m.state('slow')!.status, 'failing', 'the hanging run ended at its timeout');
    assert.match(m.state('slow')!.last_error!, /timed out after 1000 ms/);
  });

  test('probe credentials never surface: last_error, target and the log are redacted', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (l: string) => void lines.push(l) });
    const secretUrl = `http://alice:pw-s3cret@127.0.0.1:${hangPort}/health?api_key=KEY-s3cret&x=1`;
    const m = createProbeManager({
      probes: [probe({ name: 'app', type: 'http', url: secretUrl, timeout: 150, failures: 1 })],
      clock: () => new Date(),
      logger,
      onDown: async () => {},
      onUp: async () => {},
    });
    const s = await m.checkNow('app');
    await m.stop();
    assert.equal(s.status, 'down');
    const seen = JSON.stringify(s) + lines.join('');
    assert.doesNotMatch(seen, /s3cret/, seen);
    assert.match(s.target, /^http:\/\/\*\*\*@127\.0\.0\.1:\d+\/health\?api_key=\*\*\*&x=1$/);
    assert.match(s.last_error!, /127\.0\.0\.1/, 'the error still names the target');
    // a result from any runner (a custom check quoting its URL) is redacted too
    const m2 = createProbeManager({
      probes: [probe({ name: 'x', type: 'tcp', url: '127.0.0.1:1' })],
      clock: () => new Date(),
      logger,
      run: async () => ({ ok: false, latencyMs: 1, error: 'GET https://u:pw-s3cret@h/?token=s3cret failed' }),
      onDown: async () => {},
      onUp: async () => {},
    });
    assert.equal((await m2.checkNow('x')).last_error, 'GET https://***@h/?token=*** failed');
    await m2.stop();
  });
});

test('cluster mode: a probe runs only while this instance holds it, and forgets its state when it is held elsewhere', async () => {
  let held = false;
  let runs = 0;
  const m = createProbeManager({
    probes: [probe({ name: 'api', type: 'http', url: 'http://127.0.0.1:1/', interval: 20 })],
    clock: () => new Date(),
    logger: pino({ level: 'silent' }),
    onDown: async () => {},
    onUp: async () => {},
    run: async () => (runs++, { ok: true, latencyMs: 1 }),
    owns: () => held,
  });
  m.start();
  try {
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(runs, 0, 'held elsewhere: never run here');
    held = true;
    await new Promise((r) => setTimeout(r, 700));
    assert.ok(runs >= 3, `runs once held (${runs})`);
    assert.equal(m.state('api')!.status, 'up');
    held = false;
    await new Promise((r) => setTimeout(r, 600));
    const after = runs;
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(runs, after, 'no runs once it is held elsewhere');
    assert.equal(m.state('api')!.status, 'unknown', "the owner's view counts, not this instance's last one");
    assert.equal(m.state('api')!.runs, after, 'the run count stays (a counter)');
  } finally {
    await m.stop();
  }
});
