import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, fixture, freePort, repo, runApp, scrape, series } from './child.js';

beforeAll(() => ensureBuilt());

/** Runs a one-off script from the repo root (where 'breakwater' resolves to the built package). */
function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, args, { cwd: repo, encoding: 'utf8', timeout: 15_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const PROBE = `
  const same = (a, b) => a.CircuitBreaker === b.CircuitBreaker && a.CircuitOpenError === b.CircuitOpenError
    && a.defaultRegistry === b.defaultRegistry;
  const sameInstrumentation = (a, b) => typeof a.BreakwaterInstrumentation === 'function'
    && a.BreakwaterInstrumentation === b.BreakwaterInstrumentation;
`;

describe('one copy of breakwater, whatever mix of import and require', () => {
  it('ESM first: import, then require() of the same entry (main or instrumentation) give the same classes and defaultRegistry', () => {
    const r = run(['--input-type=module', '-e', `${PROBE}
      import { createRequire } from 'node:module';
      const imported = await import('breakwater');
      const required = createRequire(import.meta.url)('breakwater');
      const byPath = createRequire(import.meta.url)('./dist/cjs/index.js');
      const instrumentation = await import('breakwater/instrumentation');
      const requiredInstrumentation = createRequire(import.meta.url)('breakwater/instrumentation');
      const instrumentationByPath = createRequire(import.meta.url)('./dist/cjs/instrumentation.js');
      console.log(JSON.stringify([same(imported, required), same(imported, byPath),
        sameInstrumentation(instrumentation, requiredInstrumentation), sameInstrumentation(instrumentation, instrumentationByPath)]));`]);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual([true, true, true, true]);
  });

  it('CJS first: require(), then import() of the same entry (main or instrumentation) give the same classes and defaultRegistry', () => {
    const r = run(['-e', `${PROBE}
      const required = require('breakwater');
      const requiredInstrumentation = require('breakwater/instrumentation');
      Promise.all([import('breakwater'), import('breakwater/instrumentation')]).then(([imported, instrumentation]) =>
        console.log(JSON.stringify([same(required, imported), sameInstrumentation(requiredInstrumentation, instrumentation)])));`]);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual([true, true]);
  });

  it('--import breakwater/register with a CommonJS app: instanceof CircuitOpenError holds and its defaultRegistry breakers are on /metrics', async () => {
    const metricsPort = await freePort();
    const child = runApp(['--import', 'breakwater/register'], fixture('one-copy.cjs'), {
      OTEL_EXPORTER_PROMETHEUS_PORT: String(metricsPort),
      OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
      BREAKWATER_FAILURE_THRESHOLD: '2',
      APP_STAY: '1',
    });
    const info = await Promise.race([child.ready, child.exit.then(() => { throw new Error(`exited early: ${child.stderr}`); })]);
    expect(info).toEqual({ sameModule: true, fastFailIsOpenError: true, httpErrorCode: 'ECIRCUITOPEN', httpErrorIsOpenError: true });
    const text = await scrape(metricsPort);
    expect(series(text, 'circuit_breaker_state', { circuit_breaker_name: 'orders-db', circuit_breaker_state: 'open' })[0]).toMatch(/ 1$/);
    child.process.kill('SIGTERM');
    expect(await child.exit).toEqual({ code: null, signal: 'SIGTERM' });
    expect(child.stderr).toBe('');
  });
});
