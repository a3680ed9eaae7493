import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestFirebreak, type TestFirebreak } from '../../test-harness.ts';
import { testBackends } from '../../store/test-databases.ts';

for (const backend of testBackends()) {
  describe(`integrations (${backend})`, () => {
    let t: TestFirebreak;
    let pd: { id: string; key: string };
    let am: { id: string; key: string };
    before(async () => {
      t = await startTestFirebreak(backend);
      pd = (await t.call('POST', '/api/v1/integrations', { name: 'legacy-monitor', type: 'pagerduty' })).body;
      am = (await t.call('POST', '/api/v1/integrations', { name: 'prom', type: 'alertmanager', severity_map: { page: 'critical' } })).body;
    });
    after(() => t.close());

    const enqueue = (body: unknown) => t.call('POST', '/v2/enqueue', body, null);
    const incidentByKey = async (dedup: string) => {
      const list = (await t.call('GET', '/api/v1/incidents?limit=500')).body.items as { id: string; dedup_key: string }[];
      return list.filter((i) => i.dedup_key === dedup);
    };

    test('keys: shown once, stored hashed, admin only, revocable', async () => {
      assert.match(pd.key, /^[0-9a-f]{32}$/, 'PagerDuty routing keys are 32 characters');
      const list = await t.call('GET', '/api/v1/integrations');
      assert.equal(list.status, 200);
      assert.deepEqual(
        list.body.items.map((i: { name: string }) => i.name),
        ['legacy-monitor', 'prom'],
      );
      assert.ok(list.body.items.every((i: Record<string, unknown>) => !('key' in i) && !JSON.stringify(i).includes(pd.key)));
      const stored = await t.fb.deps.db.query<{ key_hash: string }>('SELECT key_hash FROM integrations');
      assert.ok(stored.rows.every((r) => r.key_hash !== pd.key && r.key_hash !== am.key));
      const responder = await t.makeToken('responder');
      assert.equal((await t.call('POST', '/api/v1/integrations', { name: 'x', type: 'pagerduty' }, responder)).status, 403);
      assert.equal((await t.call('POST', '/api/v1/integrations', { name: 'prom', type: 'pagerduty' })).status, 409);
      assert.equal((await t.call('POST', '/api/v1/integrations', { name: 'y', type: 'nagios' })).status, 400);
      const tmp = (await t.call('POST', '/api/v1/integrations', { name: 'tmp', type: 'pagerduty' })).body;
      const ok = await enqueue({ routing_key: tmp.key, event_action: 'trigger', payload: { summary: 's', source: 'h', severity: 'info' } });
      assert.equal(ok.status, 202);
      assert.equal((await t.call('DELETE', `/api/v1/integrations/${tmp.id}`)).status, 200);
      const refused = await enqueue({
        routing_key: tmp.key,
        event_action: 'trigger',
        payload: { summary: 's', source: 'h', severity: 'info' },
      });
      assert.equal(refused.status, 400);
      assert.deepEqual(refused.body.errors, ['Invalid routing key']);
      const audit = await t.fb.deps.db.query<{ action: string }>(
        `SELECT action FROM audit_log WHERE action LIKE 'integration.%' ORDER BY id`,
      );
      assert.deepEqual(
        audit.rows.map((r) => r.action),
        ['integration.create', 'integration.create', 'integration.create', 'integration.revoke'],
      );
    });

    test('PagerDuty v2: trigger, trigger again, acknowledge, resolve with one dedup_key drive one incident', async () => {
      const trigger = {
        routing_key: pd.key,
        event_action: 'trigger',
        dedup_key: 'disk-full-db1',
        payload: {
          summary: 'Disk 95% full on db1',
          source: 'db1.example.com',
          severity: 'critical',
          class: 'disk full',
          custom_details: { free: '2G' },
        },
        links: [{ href: 'https://wiki.example.com/disk', text: 'Runbook' }],
      };
      const r1 = await enqueue(trigger);
      assert.equal(r1.status, 202);
      assert.deepEqual(r1.body, { status: 'success', message: 'Event processed', dedup_key: 'disk-full-db1' });
      assert.equal((await enqueue(trigger)).status, 202);
      const [inc, ...more] = await incidentByKey(`pd:${pd.id}:disk-full-db1`);
      assert.ok(inc && more.length === 0, 'one incident');
      const one = (await t.call('GET', `/api/v1/incidents/${inc.id}`)).body;
      assert.equal(one.type, 'disk_full');
      assert.equal(one.severity, 'critical');
      assert.equal(one.detection_count, 2);
      assert.match(one.description, /db1\.example\.com[\s\S]*"free": "2G"[\s\S]*Runbook https:\/\/wiki\.example\.com\/disk/);
      const ack = await enqueue({ routing_key: pd.key, event_action: 'acknowledge', dedup_key: 'disk-full-db1' });
      assert.equal(ack.status, 202);
      assert.equal((await t.call('GET', `/api/v1/incidents/${inc.id}`)).body.status, 'acknowledged');
      assert.equal((await t.call('GET', `/api/v1/incidents/${inc.id}`)).body.acknowledged_by, 'integration:legacy-monitor');
      assert.equal((await enqueue({ routing_key: pd.key, event_action: 'resolve', dedup_key: 'disk-full-db1' })).status, 202);
      const done = (await t.call('GET', `/api/v1/incidents/${inc.id}`)).body;
      assert.equal(done.status, 'resolved');
      assert.equal(done.resolved_by, 'integration:legacy-monitor');
      assert.equal(
        (await enqueue({ routing_key: pd.key, event_action: 'resolve', dedup_key: 'disk-full-db1' })).status,
        202,
        'a resolve for a resolved key is dropped',
      );
      assert.equal((await enqueue({ routing_key: pd.key, event_action: 'acknowledge', dedup_key: 'never-seen' })).status, 202);
      const tl = (await t.call('GET', `/api/v1/incidents/${inc.id}/timeline`)).body.items.map((e: { kind: string }) => e.kind);
      assert.deepEqual(
        tl.filter((k: string) => k !== 'notified'),
        ['opened', 'signal', 'acknowledged', 'resolved'],
      );
    });

    test('PagerDuty v2: a trigger without dedup_key gets one; invalid events → 400 with every reason', async () => {
      const r = await enqueue({
        routing_key: pd.key,
        event_action: 'trigger',
        payload: { summary: 'x', source: 'y', severity: 'warning' },
      });
      assert.equal(r.status, 202);
      assert.match(r.body.dedup_key, /^[0-9a-f]{32}$/);
      assert.equal((await incidentByKey(`pd:${pd.id}:${r.body.dedup_key}`)).length, 1);
      const cases: [unknown, string[]][] = [
        [
          { routing_key: pd.key, event_action: 'trigger', payload: { summary: 'x', source: 'y', severity: 'fatal' } },
          ["'payload.severity' is invalid (must be one of critical, error, warning, info)"],
        ],
        [{ routing_key: pd.key, event_action: 'trigger' }, ["'payload' is missing or not an object"]],
        [
          { routing_key: pd.key, event_action: 'trigger', payload: {} },
          ["'payload.summary' is missing or blank", "'payload.source' is missing or blank", "'payload.severity' is missing or blank"],
        ],
        [{ routing_key: pd.key, event_action: 'resolve' }, ["'dedup_key' is missing or blank"]],
        [
          { event_action: 'explode' },
          ["'routing_key' is missing or blank", "'event_action' is invalid (must be one of trigger, acknowledge, resolve)"],
        ],
        [{ routing_key: am.key, event_action: 'resolve', dedup_key: 'k' }, ['Invalid routing key']],
        [[1, 2], ['Event object must be a JSON object']],
      ];
      for (const [body, errors] of cases) {
        const bad = await enqueue(body);
        assert.equal(bad.status, 400, JSON.stringify(body));
        assert.deepEqual(bad.body, { status: 'invalid event', message: 'Event object is invalid', errors }, JSON.stringify(body));
      }
      const broken = await t.call('POST', '/v2/enqueue', '{"routing_key": ', null);
      assert.equal(broken.status, 400);
      assert.equal(broken.body.status, 'invalid event');
      assert.match(broken.body.errors[0], /malformed JSON/);
    });

    test('Alertmanager v4: one incident per group, resolved when every alert is', async () => {
      const url = `/api/v1/integrations/alertmanager/${am.key}`;
      const alert = (fp: string, status: string, instance: string, severity = 'page') => ({
        status,
        labels: { alertname: 'HighErrorRate', instance, severity },
        annotations: { summary: 'Error rate above 5%', runbook_url: 'https://runbooks.example.com/errors' },
        startsAt: '2026-03-02T08:00:00Z',
        endsAt: status === 'resolved' ? '2026-03-02T08:10:00Z' : '0001-01-01T00:00:00Z',
        generatorURL: 'http://prometheus:9090/graph',
        fingerprint: fp,
      });
      const payload = (status: string, alerts: unknown[]) => ({
        version: '4',
        groupKey: '{}:{alertname="HighErrorRate"}',
        truncatedAlerts: 0,
        status,
        receiver: 'firebreak',
        groupLabels: { alertname: 'HighErrorRate' },
        commonLabels: { alertname: 'HighErrorRate' },
        commonAnnotations: { summary: 'Error rate above 5%', runbook_url: 'https://runbooks.example.com/errors' },
        externalURL: 'http://alertmanager:9093',
        alerts,
      });
      const r1 = await t.call('POST', url, payload('firing', [alert('aaa', 'firing', 'web1')]), null);
      assert.equal(r1.status, 200, JSON.stringify(r1.body));
      assert.equal(r1.body.outcome, 'created');
      const inc = (await t.call('GET', `/api/v1/incidents/${r1.body.incident_id}`)).body;
      assert.equal(inc.type, 'high_error_rate');
      assert.equal(inc.severity, 'critical', 'severity_map: page → critical');
      assert.match(inc.dedup_key, /^am:[0-9a-f]{32}$/);
      assert.equal(inc.attrs.runbook_url, 'https://runbooks.example.com/errors');
      assert.equal(inc.created_by, 'integration:prom');
      const again = await t.call('POST', url, payload('firing', [alert('aaa', 'firing', 'web1')]), null);
      assert.equal(again.body.outcome, 'unchanged', 'a re-sent group changes nothing');
      const two = await t.call('POST', url, payload('firing', [alert('aaa', 'firing', 'web1'), alert('bbb', 'firing', 'web2')]), null);
      assert.deepEqual([two.body.outcome, two.body.incident_id, two.body.firing], ['appended', inc.id, 2]);
      const half = await t.call('POST', url, payload('firing', [alert('aaa', 'resolved', 'web1'), alert('bbb', 'firing', 'web2')]), null);
      assert.deepEqual([half.body.outcome, half.body.firing], ['unchanged', 1]);
      assert.equal((await t.call('GET', `/api/v1/incidents/${inc.id}`)).body.status, 'triggered', 'one alert still fires');
      const all = await t.call(
        'POST',
        url,
        payload('resolved', [alert('aaa', 'resolved', 'web1'), alert('bbb', 'resolved', 'web2')]),
        null,
      );
      assert.equal(all.body.outcome, 'resolved');
      const done = (await t.call('GET', `/api/v1/incidents/${inc.id}`)).body;
      assert.equal(done.status, 'resolved');
      assert.equal(done.resolved_by, 'integration:prom');
      const tl = (await t.call('GET', `/api/v1/incidents/${inc.id}/timeline`)).body.items as { kind: string; data: any }[];
      assert.equal(tl[0]!.data.evidence.runbook_url, 'https://runbooks.example.com/errors', 'the runbook link is on the timeline');
      const warn = await t.call(
        'POST',
        url,
        { ...payload('firing', [alert('ccc', 'firing', 'web3', 'warning')]), groupKey: 'other' },
        null,
      );
      assert.equal((await t.call('GET', `/api/v1/incidents/${warn.body.incident_id}`)).body.severity, 'high', 'warning → high');
    });

    test('Alertmanager: bad keys and payloads', async () => {
      assert.equal(
        (await t.call('POST', '/api/v1/integrations/alertmanager/0123456789abcdef0123456789abcdef', { version: '4' }, null)).status,
        401,
      );
      assert.equal(
        (await t.call('POST', `/api/v1/integrations/alertmanager/${pd.key}`, { version: '4' }, null)).status,
        401,
        'a PagerDuty key is not an Alertmanager key',
      );
      const bad = await t.call('POST', `/api/v1/integrations/alertmanager/${am.key}`, { version: '3', alerts: [] }, null);
      assert.equal(bad.status, 400);
      assert.match(bad.body.error.message, /version "4"/);
    });
  });
}
