import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, fixture, freePort, runApp, type Child } from './child.js';

beforeAll(() => ensureBuilt());

const PRELOAD = ['--require', 'breakwater/register'];
const APP = fixture('app.cjs');

/** The port zero-code prints for BREAKWATER_HEALTH_PORT=0, once it listens. */
async function printedPort(child: Child): Promise<{ host: string; port: number }> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const m = /the health endpoint listens on (\S+) port (\d+)/.exec(child.stderr);
    if (m) return { host: m[1]!, port: Number(m[2]) };
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no port printed; stderr: ${child.stderr}`);
}

async function status(url: string): Promise<number> {
  return (await fetch(url)).status;
}

/** Polls until `url` answers `expected` (bounded). */
async function until(url: string, expected: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  while ((await status(url).catch(() => 0)) !== expected) {
    if (Date.now() > deadline) throw new Error(`${url} never answered ${expected}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('breakwater/register: the health endpoint over the process lifecycle (child processes, real signals)', () => {
  it('BREAKWATER_HEALTH_PORT=0 prints the port it got, on loopback; SIGTERM drains for BREAKWATER_SHUTDOWN_DELAY_MS, then the signal ends the app', async () => {
    const delayMs = 1_500;
    const child = runApp(PRELOAD, APP, {
      OTEL_EXPORTER_PROMETHEUS_PORT: String(await freePort()),
      BREAKWATER_HEALTH_PORT: '0',
      BREAKWATER_SHUTDOWN_DELAY_MS: String(delayMs),
      APP_STAY: '1',
    });
    await child.ready;
    const { host, port } = await printedPort(child);
    expect(host).toBe('127.0.0.1');
    const base = `http://127.0.0.1:${port}`;
    await until(`${base}/readyz`, 200); // after the first round
    expect(await status(`${base}/startupz`)).toBe(200);

    const signalled = Date.now();
    child.process.kill('SIGTERM');
    await until(`${base}/readyz`, 503);
    const failedAfter = Date.now() - signalled;
    expect(await status(`${base}/livez`)).toBe(200); // liveness stays up while draining
    expect(await (await fetch(`${base}/readyz?verbose`)).text()).toContain('[-]shutdown failed: draining');
    const exit = await child.exit;
    const exitedAfter = Date.now() - signalled;
    expect(exit).toEqual({ code: null, signal: 'SIGTERM' }); // the signal still ends it, as without breakwater
    expect(failedAfter).toBeLessThan(delayMs); // readiness failed at once, well before the delay ran out
    expect(exitedAfter).toBeGreaterThanOrEqual(delayMs); // a timer cannot fire early
    expect(child.stderr.trim().split('\n')).toHaveLength(1); // the port line, nothing else
  });

  it('without a delay SIGTERM ends the app as before; BREAKWATER_HEALTH_HOST moves the endpoint', async () => {
    const child = runApp(PRELOAD, APP, {
      OTEL_EXPORTER_PROMETHEUS_PORT: String(await freePort()),
      BREAKWATER_HEALTH_PORT: '0',
      BREAKWATER_HEALTH_HOST: '::1',
      APP_STAY: '1',
    });
    await child.ready;
    const { host, port } = await printedPort(child);
    expect(host).toBe('::1');
    await until(`http://[::1]:${port}/readyz`, 200);
    child.process.kill('SIGTERM');
    expect(await child.exit).toEqual({ code: null, signal: 'SIGTERM' });
  });
});
