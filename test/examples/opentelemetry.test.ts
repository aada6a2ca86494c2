import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, freePort, runNode } from './child.js';

beforeAll(assertBuilt);

/** The sample value of the first exposition line that starts with `name{` and contains every fragment. */
function sample(text: string, name: string, ...fragments: string[]): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && fragments.every((f) => l.includes(f)));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** The variables the README's Examples table sets in front of the zero-code command: run as documented. */
function readmeZeroCodeEnv(): Record<string, string> {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const row = readme.split('\n').find((l) => l.startsWith('| `') && l.includes('node --import breakwater/register examples/zero-code/app.mjs'));
  if (!row) throw new Error('README.md: no Examples row for examples/zero-code/app.mjs');
  const command = row.slice(3, row.indexOf('`', 3));
  const env: Record<string, string> = {};
  for (const [, name, value] of command.matchAll(/(?:^|\s)([A-Z_]+)=(\S+)/g)) env[name!] = value!;
  return env;
}

describe('examples/zero-code (no breakwater import, preloaded)', () => {
  for (const [flag, file] of [
    ['--import', 'examples/zero-code/app.mjs'],
    ['--require', 'examples/zero-code/app.cjs'],
  ] as const) {
    it(`node ${flag} breakwater/register ${file}: opens the breaker, opens no connection while open, serves metrics, exits`, async () => {
      const port = await freePort();
      const { code, stdout, stderr } = await runNode([flag, 'breakwater/register', file], {
        env: { ...readmeZeroCodeEnv(), OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1', OTEL_EXPORTER_PROMETHEUS_PORT: String(port) },
      });
      expect(stderr).not.toMatch(/breakwater:/); // no warning from the preload
      expect(code).toBe(0);
      expect(stdout).toContain('request 2: HTTP 503');
      expect(stdout).toMatch(/request 3: ECIRCUITOPEN \(circuit breaker "127\.0\.0\.1:\d+" is open/);
      expect(stdout).toContain('the server saw 2 connections for 4 requests');
      expect(sample(stdout, 'circuit_breaker_calls_total', 'circuit_breaker_outcome="failure"')).toBe(2);
      expect(sample(stdout, 'circuit_breaker_rejections_total', 'circuit_breaker_state="open"')).toBe(2);
      expect(sample(stdout, 'circuit_breaker_state', 'circuit_breaker_state="open"')).toBe(1);
      expect(sample(stdout, 'circuit_breaker_transitions_total', 'circuit_breaker_transition_from="closed"', 'circuit_breaker_transition_to="open"')).toBe(1);
    });
  }
});

describe('examples/node-sdk (NodeSDK + BreakwaterInstrumentation + Prometheus exporter)', () => {
  it('fails fetches fast once the breaker opens and exports the counts', async () => {
    const port = await freePort();
    const { code, stdout, stderr } = await runNode(['--import', './examples/node-sdk/instrumentation.mjs', 'examples/node-sdk/app.mjs'], {
      env: { OTEL_EXPORTER_PROMETHEUS_PORT: String(port) },
    });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('fetch 3: HTTP 500');
    expect(stdout).toMatch(/fetch 4: failed fast \(ECIRCUITOPEN, breaker 127\.0\.0\.1:\d+\)/);
    expect(stdout).toContain('the server got 3 requests for 5 fetches');
    expect(sample(stdout, 'circuit_breaker_calls_total', 'circuit_breaker_outcome="failure"')).toBe(3);
    expect(sample(stdout, 'circuit_breaker_rejections_total', 'circuit_breaker_state="open"')).toBe(2);
    expect(sample(stdout, 'circuit_breaker_state', 'circuit_breaker_state="open"')).toBe(1);
  });
});

describe('examples/grpc/client.cjs', () => {
  it('ends calls with UNAVAILABLE naming the breaker, without sending them, once it is open', async () => {
    const { code, stdout, stderr } = await runNode(['examples/grpc/client.cjs']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('call 2: UNAVAILABLE (greeter is overloaded)');
    expect(stdout).toMatch(/call 3: UNAVAILABLE \(.*127\.0\.0\.1:\d+.*\)/);
    expect(stdout).toContain('the server received 2 calls for 4');
    expect(stdout).toMatch(/breaker 127\.0\.0\.1:\d+: open/);
  });
});
