import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redactSecrets, redactUrl } from './redact-url.ts';

test('redactUrl: credentials and secret parameters become ***, the rest is kept as written', () => {
  const cases: [string, string][] = [
    ['https://user:pw@app.example/health', 'https://***@app.example/health'],
    ['postgres://firebreak:s3cr%40t@db:5432/app', 'postgres://***@db:5432/app'],
    ['redis://:hunter2@127.0.0.1:6379/0', 'redis://***@127.0.0.1:6379/0'],
    ['https://app.example/h?api_key=abc&x=1', 'https://app.example/h?api_key=***&x=1'],
    ['https://app.example/h?x=1&TOKEN=abc#frag', 'https://app.example/h?x=1&TOKEN=***#frag'],
    [
      'https://a.example/?key=1&password=2&secret=3&sig=4&access_token=5&X-Api-Key=6',
      'https://a.example/?key=***&password=***&secret=***&sig=***&access_token=***&X-Api-Key=***',
    ],
    ['https://a.example/?monkey=1', 'https://a.example/?monkey=***'], // suffix match errs on the safe side
    ['https://a.example/?page=2&q=x', 'https://a.example/?page=2&q=x'],
    ['https://user@a.example/', 'https://***@a.example/'],
    ['http://a.example/p@th', 'http://a.example/p@th'],
    ['tcp://127.0.0.1:6379', 'tcp://127.0.0.1:6379'],
  ];
  for (const [input, want] of cases) assert.equal(redactUrl(input), want, input);
});

test('redactSecrets: URLs inside messages are redacted wherever they appear', () => {
  assert.equal(
    redactSecrets('GET https://bob:pw@app.example/health?api_key=K timed out after 5000 ms'),
    'GET https://***@app.example/health?api_key=*** timed out after 5000 ms',
  );
  assert.equal(
    redactSecrets('connect to "postgres://u:p@db/x" failed; retry /health?token=abc'),
    'connect to "postgres://***@db/x" failed; retry /health?token=***',
  );
  assert.equal(redactSecrets('no url here'), 'no url here');
});
