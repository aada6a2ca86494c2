import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, fixture, freePort, repo, runApp, scrape, series, valueOfLine } from './child.js';

beforeAll(() => ensureBuilt());

const PRELOADS = {
  esm: { preload: ['--import', 'breakwater/register'], app: fixture('app.mjs') },
  'esm by path': { preload: ['--import', `${repo}dist/esm/register.js`], app: fixture('app.mjs') },
  cjs: { preload: ['--require', 'breakwater/register'], app: fixture('app.cjs') },
  'cjs by path': { preload: ['--require', `${repo}dist/cjs/register.js`], app: fixture('app.cjs') },
} as const;

describe('breakwater/register (child processes)', () => {
  for (const [kind, { preload, app }] of Object.entries(PRELOADS)) {
    it(`${kind}: an app with no breakwater import is protected and its metrics appear on /metrics; SIGTERM ends it cleanly`, async () => {
      const metricsPort = await freePort();
      const child = runApp(preload, app, { OTEL_EXPORTER_PROMETHEUS_PORT: String(metricsPort), APP_STAY: '1' });
      const info = await Promise.race([child.ready, child.exit.then(() => { throw new Error(`exited early: ${child.stderr}`); })]);
      const text = await scrape(metricsPort);
      const name = { circuit_breaker_name: `127.0.0.1:${info.port}` };
      expect(valueOfLine(series(text, 'circuit_breaker_calls_total', { ...name, circuit_breaker_outcome: 'success' })[0])).toBe(2);
      expect(valueOfLine(series(text, 'circuit_breaker_calls_total', { ...name, circuit_breaker_outcome: 'failure' })[0])).toBe(1);
      expect(series(text, 'circuit_breaker_state', { ...name, circuit_breaker_state: 'closed' })[0]).toMatch(/ 1$/);
      expect(text).toContain('server_address="127.0.0.1"');
      if (app.endsWith('.mjs')) {
        // The ESM loader hook is in place: a named import of node:http got instrumentation-http's wrapper.
        expect(info.namedImportInstrumented).toBe(true);
        // The named ESM import of @grpc/grpc-js was patched: its target has a breaker.
        expect(info.grpcCode).toBe(14);
        const target = { circuit_breaker_name: `127.0.0.1:${info.deadPort}` };
        expect(valueOfLine(series(text, 'circuit_breaker_calls_total', { ...target, circuit_breaker_outcome: 'failure' })[0])).toBe(1);
      }
      child.process.kill('SIGTERM');
      const exit = await child.exit;
      expect(exit).toEqual({ code: null, signal: 'SIGTERM' }); // as it would have died without breakwater
      expect(child.stderr).toBe('');
    });
  }

  for (const [kind, { preload, app }] of Object.entries(PRELOADS).filter(([k]) => !k.includes('path'))) {
    it(`${kind}: the app exits on its own; each bad variable is warned about once and the app still runs`, async () => {
      const metricsPort = await freePort();
      const child = runApp(preload, app, {
        OTEL_EXPORTER_PROMETHEUS_PORT: String(metricsPort),
        BREAKWATER_FAILURE_THRESHOLD: 'lots',
        BREAKWATER_INSTRUMENT: 'http,telepathy',
        BREAKWATER_HTTP_FAILURE_STATUS: '5xx',
        BREAKWATER_HALF_OPEN_MAX_CALLS: '2',
      });
      const exit = await child.exit;
      expect(exit).toEqual({ code: 0, signal: null });
      expect(child.stdout).toContain('"ready":true');
      const warnings = child.stderr.trim().split('\n');
      expect(warnings).toHaveLength(3);
      expect(warnings.filter((w) => w.includes('BREAKWATER_FAILURE_THRESHOLD="lots"'))).toHaveLength(1);
      expect(warnings.filter((w) => w.includes('BREAKWATER_INSTRUMENT="http,telepathy"'))).toHaveLength(1);
      expect(warnings.filter((w) => w.includes('BREAKWATER_HTTP_FAILURE_STATUS="5xx"'))).toHaveLength(1);
    });
  }

  it('an app with its own SIGTERM handler keeps control of its exit; a bad exporter port is warned about', async () => {
    const child = runApp(PRELOADS.esm.preload, PRELOADS.esm.app, {
      OTEL_EXPORTER_PROMETHEUS_PORT: 'ninety',
      OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
      APP_STAY: '1',
      APP_HANDLES_SIGTERM: '1',
    });
    await child.ready;
    child.process.kill('SIGTERM');
    expect(await child.exit).toEqual({ code: 3, signal: null });
    expect(child.stdout).toContain('draining');
    const warnings = child.stderr.trim().split('\n');
    expect(warnings.length).toBeGreaterThanOrEqual(1);
    expect(warnings[0]).toContain('OTEL_EXPORTER_PROMETHEUS_PORT="ninety"');
    expect(warnings.filter((w) => w.includes('OTEL_EXPORTER_PROMETHEUS_PORT'))).toHaveLength(1);
  });

  it('BREAKWATER_HEALTH_PORT serves /health with the built-in checks and health metrics; a taken port is warned about', async () => {
    const [metricsPort, healthPort] = [await freePort(), await freePort()];
    const child = runApp(PRELOADS.cjs.preload, PRELOADS.cjs.app, {
      OTEL_EXPORTER_PROMETHEUS_PORT: String(metricsPort),
      BREAKWATER_HEALTH_PORT: String(healthPort),
      APP_STAY: '1',
    });
    await child.ready;
    const report = (await (await fetch(`http://127.0.0.1:${healthPort}/health`)).json()) as { components: Record<string, unknown> };
    expect(Object.keys(report.components)).toEqual(expect.arrayContaining(['system', 'circuit_breakers']));
    expect(await scrape(metricsPort)).toContain('health_check_status{');

    // A second app on the same ports: both endpoints are taken, the app still runs and says why.
    const second = runApp(PRELOADS.cjs.preload, PRELOADS.cjs.app, {
      OTEL_EXPORTER_PROMETHEUS_PORT: String(metricsPort),
      BREAKWATER_HEALTH_PORT: String(healthPort),
    });
    expect(await second.exit).toEqual({ code: 0, signal: null });
    expect(second.stdout).toContain('"ready":true');
    expect(second.stderr).toContain(`BREAKWATER_HEALTH_PORT=${healthPort}`);
    expect(second.stderr).toContain('EADDRINUSE');
    child.process.kill('SIGTERM');
    expect(await child.exit).toEqual({ code: null, signal: 'SIGTERM' });
    expect(child.stderr).toBe('');
  });

  it('OTEL_SDK_DISABLED=true turns breakwater off: nothing served, the app unchanged', async () => {
    const metricsPort = await freePort();
    const child = runApp(PRELOADS.esm.preload, PRELOADS.esm.app, {
      OTEL_SDK_DISABLED: 'true',
      OTEL_EXPORTER_PROMETHEUS_PORT: String(metricsPort),
      APP_STAY: '1',
    });
    await child.ready;
    await expect(scrape(metricsPort)).rejects.toThrow();
    child.process.kill('SIGTERM');
    expect(await child.exit).toEqual({ code: null, signal: 'SIGTERM' });
    expect(child.stderr).toBe('');
  });

  it('honours OTEL_METRICS_EXPORTER=otlp: exports to the collector (flushed at exit), serves no /metrics', async () => {
    const bodies: Buffer[] = [];
    const collector = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (req.url === '/v1/metrics') bodies.push(Buffer.concat(chunks));
        res.end();
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    const metricsPort = await freePort();
    const child = runApp(PRELOADS.esm.preload, PRELOADS.esm.app, {
      OTEL_METRICS_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: `http://127.0.0.1:${(collector.address() as AddressInfo).port}/v1/metrics`,
      OTEL_EXPORTER_PROMETHEUS_PORT: String(metricsPort),
    });
    const exit = await child.exit;
    collector.close();
    expect(exit).toEqual({ code: 0, signal: null });
    expect(child.stderr).toBe('');
    expect(Buffer.concat(bodies).toString('latin1')).toContain('circuit_breaker.calls');
    await expect(scrape(metricsPort)).rejects.toThrow();
  });

  it('exports breaker events as log records with OTEL_LOGS_EXPORTER=otlp, and none with BREAKWATER_EVENTS=spans', async () => {
    const logBodies = async (events: Record<string, string>): Promise<string> => {
      const bodies: Buffer[] = [];
      const collector = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          if (req.url === '/v1/logs') bodies.push(Buffer.concat(chunks));
          res.end();
        });
      });
      await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
      const child = runApp(PRELOADS.esm.preload, PRELOADS.esm.app, {
        OTEL_METRICS_EXPORTER: 'none',
        OTEL_LOGS_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: `http://127.0.0.1:${(collector.address() as AddressInfo).port}/v1/logs`,
        BREAKWATER_FAILURE_THRESHOLD: '1', // the app's one failing call opens its breaker
        ...events,
      });
      const exit = await child.exit;
      collector.close();
      expect(exit).toEqual({ code: 0, signal: null });
      expect(child.stderr).toBe('');
      return Buffer.concat(bodies).toString('latin1');
    };
    const exported = await logBodies({});
    expect(exported).toContain('circuit_breaker.state_change');
    expect(exported).toContain('circuit_breaker.transition.to');
    expect(await logBodies({ BREAKWATER_EVENTS: 'spans' })).not.toContain('circuit_breaker');
  });
});
