import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createChannel, createChannels, type ChannelConfig } from './registry.ts';
import { AppError } from '../errors.ts';

const logger = { info: () => undefined };

test('createChannel picks the implementation by type', () => {
  const cases: [ChannelConfig, string][] = [
    [{ name: 'hook', type: 'webhook', url: 'http://127.0.0.1:9/hook', secret: 's' }, 'webhook'],
    [{ name: 'slack', type: 'slack', url: 'https://hooks.example/T/B/X' }, 'slack'],
    [
      { name: 'teams', type: 'teams', url: 'https://prod-00.westeurope.logic.azure.com/workflows/x/triggers/manual/paths/invoke?sig=s' },
      'teams',
    ],
    [{ name: 'mail', type: 'email', smtp_url: 'smtp://127.0.0.1:2525', from: 'firebreak@example.com' }, 'email'],
    [{ name: 'log', type: 'log' }, 'log'],
  ];
  for (const [config, type] of cases) {
    const ch = createChannel(config, { logger });
    assert.equal(ch.type, type);
    assert.equal(ch.name, config.name);
    assert.equal(typeof ch.send, 'function');
  }
});

test('createChannels keys by name and lists every duplicate', () => {
  const map = createChannels(
    [
      { name: 'a', type: 'log' },
      { name: 'b', type: 'log' },
    ],
    { logger },
  );
  assert.deepEqual([...map.keys()], ['a', 'b']);
  assert.throws(
    () =>
      createChannels(
        [
          { name: 'a', type: 'log' },
          { name: 'a', type: 'log' },
          { name: 'a', type: 'log' },
        ],
        { logger },
      ),
    (err: unknown) =>
      err instanceof AppError && err.code === 'invalid' && err.details?.length === 2 && err.details[0]!.path === 'channels[1].name',
  );
});
