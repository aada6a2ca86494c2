import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, fixture, freePort, runApp, scrape, series, valueOfLine } from './child.js';

beforeAll(() => ensureBuilt());

const AUTO = ['--import', '@opentelemetry/auto-instrumentations-node/register'];
const BREAKWATER = ['--import', 'breakwater/register'];
const ORDERS = {
  'auto-instrumentations-node first': { preload: [...AUTO, ...BREAKWATER], notice: 'an OpenTelemetry SDK was already running' },
  'breakwater first': { preload: [...BREAKWATER, ...AUTO], notice: 'joined breakwater\'s SDK' },
} as const;

describe('breakwater/register beside @opentelemetry/auto-instrumentations-node/register (child processes)', () => {
  for (const [order, { preload, notice }] of Object.entries(ORDERS)) {
    it(`${order}: one SDK, one instrumentation-http, breakwater's metrics on the Prometheus endpoint`, async () => {
      const metricsPort = await freePort();
      const child = runApp(preload, fixture('failing-calls.mjs'), {
        OTEL_METRICS_EXPORTER: 'prometheus',
        OTEL_EXPORTER_PROMETHEUS_PORT: String(metricsPort),
        OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
        OTEL_TRACES_EXPORTER: 'none',
        OTEL_LOGS_EXPORTER: 'none',
        // auto-instrumentations-node's default detectors ask cloud metadata servers; loopback only here.
        OTEL_NODE_RESOURCE_DETECTORS: 'env,host,os,process',
        BREAKWATER_FAILURE_THRESHOLD: '2',
      });
      try {
        const info = await Promise.race([child.ready, child.exit.then(() => { throw new Error(`exited early: ${child.stderr}`); })]);
        expect(info.outcomes).toEqual([503, 503, 'ECIRCUITOPEN', 'ECIRCUITOPEN']);
        const text = await scrape(metricsPort);
        const name = { circuit_breaker_name: `127.0.0.1:${info.port}` };
        expect(series(text, 'circuit_breaker_state', { ...name, circuit_breaker_state: 'open' })[0]).toMatch(/ 1$/);
        expect(valueOfLine(series(text, 'circuit_breaker_calls_total', { ...name, circuit_breaker_outcome: 'failure' })[0])).toBe(2);
        expect(valueOfLine(series(text, 'circuit_breaker_rejections_total', { ...name, circuit_breaker_state: 'open' })[0])).toBe(2);
        // Both registers' instrumentations report through the one SDK: auto-instrumentations-node's runtime metrics too.
        expect(series(text, 'nodejs_eventloop_utilization', {}).length).toBeGreaterThan(0);
        expect(text.split('\n').filter((l) => l.startsWith('target_info{'))).toHaveLength(1);
        // The standard client metric under its stable name (the exporter adds no unit suffix), from
        // exactly one instrumentation-http: each request is counted once, refused ones included.
        const served = series(text, 'http_client_request_duration_count', { server_port: info.port as number, http_response_status_code: 503 });
        expect(served).toHaveLength(1);
        expect(valueOfLine(served[0])).toBe(2);
        const refused = series(text, 'http_client_request_duration_count', { server_port: info.port as number, error_type: 'CircuitOpenError' });
        expect(refused).toHaveLength(1);
        expect(valueOfLine(refused[0])).toBe(2);
        expect(text).not.toContain('http_client_request_duration_seconds');
        expect(text).not.toMatch(/^http_client_duration/m); // the old semantic conventions
        // The server side stays instrumented once too.
        expect(series(text, 'http_server_request_duration_count', { http_response_status_code: 503 })).toHaveLength(1);
        expect(child.stderr.trim().split('\n')).toEqual([expect.stringContaining(notice)]);
      } finally {
        // auto-instrumentations-node's register listens for SIGTERM without exiting, so SIGTERM
        // would not end this app, with breakwater or without it.
        child.process.kill('SIGKILL');
        await child.exit;
      }
    }, 40_000);
  }
});
