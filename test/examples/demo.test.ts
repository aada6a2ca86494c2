import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, eventually, freePort, root, RunningNode } from './child.js';

interface Report {
  overall_status: string;
  health_score: number;
  uptime_seconds: number;
  timestamp: string;
  components: Record<string, { status: string; message: string; duration_ms: number }>;
  degraded_components: string[];
  unhealthy_components: string[];
}

// `npm run demo` runs examples/demo/run.mjs: the flaky downstream and the demo service. Here with
// short phases and free ports, so the breaker goes round within seconds.
describe('npm run demo (examples/demo/run.mjs)', () => {
  let demo: RunningNode;
  const ports = { service: 0, metrics: 0, downstream: 0, steady: 0 };
  const base = () => `http://127.0.0.1:${ports.service}`;

  beforeAll(async () => {
    assertBuilt();
    for (const k of Object.keys(ports) as Array<keyof typeof ports>) ports[k] = await freePort();
    demo = new RunningNode(['examples/demo/run.mjs'], {
      PORT: String(ports.service),
      OTEL_EXPORTER_PROMETHEUS_PORT: String(ports.metrics),
      DOWNSTREAM_PORT: String(ports.downstream),
      STEADY_PORT: String(ports.steady),
      FLAKY_HEALTHY_MS: '2000',
      FLAKY_FAILING_MS: '2500',
      DEMO_TRAFFIC_INTERVAL_MS: '100',
      DEMO_CHECK_INTERVAL_MS: '500',
      DEMO_DB_OUTAGE_EVERY_MS: '1500',
    });
    await demo.waitFor(/\[service\] demo service listening on http:\/\/127\.0\.0\.1:\d+/);
  }, 30_000);

  afterAll(async () => {
    if (demo && !demo.exited) await demo.stop('SIGKILL');
  });

  it('serves quotes from the downstream while it is healthy', async () => {
    const body = await eventually('a quote from the downstream', async () => {
      const b = (await (await fetch(`${base()}/`)).json()) as { from: string; quote: string };
      return b.from === 'downstream' ? b : undefined;
    });
    expect(body.quote).toMatch(/\w+/);
  });

  it('opens the breaker of the flaky destination on its own, answers from the cache, and closes it again', async () => {
    const flaky = `127.0.0.1:${ports.downstream}`;
    await demo.waitFor(new RegExp(`\\[service\\] breaker ${flaky}: open`), 20_000);
    const cached = await eventually('an answer from the cache', async () => {
      const b = (await (await fetch(`${base()}/`)).json()) as { from: string; breaker?: string };
      return b.from === 'cache' ? b : undefined;
    });
    expect(['open', 'half_open']).toContain(cached.breaker);
    await demo.waitFor(new RegExp(`\\[service\\] breaker ${flaky}: half_open`), 20_000);
    await demo.waitFor(new RegExp(`breaker ${flaky}: open[\\s\\S]*breaker ${flaky}: half_open[\\s\\S]*breaker ${flaky}: closed`), 30_000);
    expect(demo.stdout).toContain('[downstream] downstream phase: failing');
    // The steady destination's breaker never opens.
    const breakers = (await (await fetch(`${base()}/breakers`)).json()) as Array<{ name: string; state: string; metrics: { rejectedCalls: number; successfulCalls: number } }>;
    const steady = breakers.find((b) => b.name === `127.0.0.1:${ports.steady}`);
    expect(steady).toMatchObject({ state: 'closed', metrics: { rejectedCalls: 0 } });
    expect(steady!.metrics.successfulCalls).toBeGreaterThan(0);
    expect(breakers.find((b) => b.name === flaky)!.metrics.rejectedCalls).toBeGreaterThan(0);
  }, 90_000);

  it('serves the health report in the DESIGN.md shape, with the heals of the database', async () => {
    const report = await eventually('a report with every check run', async () => {
      const r = (await (await fetch(`${base()}/health`)).json()) as Report;
      return Object.values(r.components).every((c) => c.status !== 'unknown') ? r : undefined;
    });
    expect(Object.keys(report).sort()).toEqual(
      ['components', 'degraded_components', 'health_score', 'overall_status', 'timestamp', 'unhealthy_components', 'uptime_seconds'].sort(),
    );
    expect(Object.keys(report.components)).toEqual(expect.arrayContaining(['database', 'downstream', 'system', 'circuit_breakers']));
    expect(report.health_score).toBeGreaterThanOrEqual(0);
    expect(report.health_score).toBeLessThanOrEqual(100);
    const metrics = await eventually('heals in the metrics', async () => {
      const text = await (await fetch(`http://127.0.0.1:${ports.metrics}/metrics`)).text();
      return /health_check_heals_total\{[^}]*health_check_heal_outcome="failure"[^}]*\} [1-9]/.test(text) ? text : undefined;
    });
    for (const name of ['circuit_breaker_calls_total', 'circuit_breaker_state', 'health_check_score', 'health_check_status', 'health_check_duration_bucket']) {
      expect(metrics).toContain(`\n${name}`);
    }
  }, 30_000);

  it('stops both parts on SIGTERM', async () => {
    const { code, signal } = await demo.stop('SIGTERM');
    expect(signal).toBeNull();
    expect(code).toBe(0);
    expect(demo.stdout).toContain('[service] demo service: SIGTERM, shutting down');
    expect(demo.stdout).toContain('[downstream] downstream: SIGTERM, closing');
  });
});

/** True when nothing listens on 127.0.0.1:port any more (a server can bind it). */
function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

describe('npm run demo stopped by SIGTERM to npm', () => {
  it('its children exit and free their ports, and every process of it is gone', async () => {
    assertBuilt();
    const env: Record<string, string> = {
      PORT: String(await freePort()),
      OTEL_EXPORTER_PROMETHEUS_PORT: String(await freePort()),
      DOWNSTREAM_PORT: String(await freePort()),
      STEADY_PORT: String(await freePort()),
    };
    // --ignore-scripts skips predemo (the build); its own process group, so nothing can outlive the test.
    const npm = spawn('npm', ['run', '--silent', '--ignore-scripts', 'demo'], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    npm.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    npm.stderr.resume();
    // 'close': every holder of the output pipe (npm, its shell, the runner, the parts) has exited.
    const closed = new Promise<void>((resolve) => npm.once('close', () => resolve()));
    try {
      await eventually('the demo service listening', async () => (/\[service\] demo service listening/.test(stdout) ? true : undefined), 20_000, 100);
      npm.kill('SIGTERM');
      await Promise.race([closed, new Promise((_, reject) => setTimeout(() => reject(new Error(`still running 15 s after SIGTERM to npm\n${stdout}`)), 15_000))]);
      expect(stdout).toContain('[service] demo service: SIGTERM, shutting down');
      expect(stdout).toContain('[downstream] downstream: SIGTERM, closing');
      for (const port of Object.values(env)) expect(await portIsFree(Number(port))).toBe(true);
    } finally {
      try {
        process.kill(-npm.pid!, 'SIGKILL');
      } catch {
        // the group is gone already
      }
    }
  }, 45_000);
});
