import { beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, runNode } from './child.js';

beforeAll(assertBuilt);

describe('examples/circuit-breaker.mjs', () => {
  it('opens after three failures, fails fast, half-opens and closes, and prints consistent metrics', async () => {
    const { code, stdout, stderr } = await runNode(['examples/circuit-breaker.mjs']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('state: closed -> open');
    expect(stdout).toMatch(/call 4: rejected \(ECIRCUITOPEN, breaker payments, retry in ~\d+ ms\)/);
    expect(stdout).toContain('payments was called 3 times for 5 calls');
    expect(stdout).toContain('with a fallback: {"charged":0,"queued":true}');
    expect(stdout).toContain('permit while open: refused');
    expect(stdout).toContain('after the open wait: half_open');
    expect(stdout).toContain('state: half_open -> closed');
    expect(stdout).toContain('with a time limit: {"charged":25}');
    const metrics = JSON.parse(/^metrics: (.*)$/m.exec(stdout)![1]) as Record<string, number> & { stateTransitions: Record<string, number> };
    expect(metrics.totalCalls).toBe(metrics.successfulCalls + metrics.failedCalls + metrics.ignoredCalls + metrics.rejectedCalls);
    expect(metrics).toMatchObject({ failedCalls: 3, successfulCalls: 2 });
    expect(metrics.stateTransitions).toEqual({ 'closed->open': 1, 'open->half_open': 1, 'half_open->closed': 1 });
    expect(stdout).toMatch(/state: closed\n$/);
  });
});

describe('examples/decorator (payments.ts compiled by run.mjs)', () => {
  it('runs the decorated method through the shared breaker', async () => {
    const { code, stdout, stderr } = await runNode(['examples/decorator/run.mjs']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('charge 2: failed (payments-api answered 503)');
    expect(stdout).toContain('charge 3: rejected by breaker payments-api (ECIRCUITOPEN)');
    expect(stdout).toContain('payments-api was called 2 times for 4 charges');
    expect(stdout).toContain('breaker payments-api: open');
  });
});

describe('examples/health-checks.mjs', () => {
  it('heals the database, times out the hanging check, scores the rest and serves them', async () => {
    const { code, stdout, stderr } = await runNode(['examples/health-checks.mjs']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('heal database: success');
    expect(stdout).toContain('database: healthy');
    expect(stdout).toContain('search-index: degraded (rebuilding the index)');
    expect(stdout).toMatch(/legacy-api: unhealthy \(.*timed out.*\)/);
    // database 100, search-index 60, legacy-api 0 (weight 0.5) and system: on an overloaded
    // machine the system check itself may be degraded or worse, which the example cannot promise.
    const system = /^ {2}system: (\w+)/m.exec(stdout)?.[1];
    if (system === 'healthy') {
      expect(stdout).toContain('overall: degraded, score 74.3');
      expect(stdout).toContain('GET /health -> 200 application/json');
      expect(stdout).toMatch(/GET \/readyz -> 200/);
    } else {
      expect(stdout).toMatch(/overall: (degraded|unhealthy), score \d+/);
      expect(stdout).toMatch(/GET \/health -> (200|503) application\/json/);
    }
    expect(stdout).toMatch(/GET \/livez -> 200/);
  });
});
