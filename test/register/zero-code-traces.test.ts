// breakwater/register runs instrumentation-http next to breakwater. The two used to race for OTel's
// require hook (breakwater, created first, made it cache node:http before instrumentation-http
// had registered), and zero-code apps got no HTTP spans at all. Each app here exports over OTLP/JSON
// to a collector stub on loopback: its spans must include instrumentation-http's CLIENT span for
// the app's own node:http call, and its metrics breakwater's breaker for the same destination.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, fixture, repo, runApp } from './child.js';

beforeAll(() => ensureBuilt());

const APPS = {
  'cjs (--require dist/cjs/register.js)': { preload: ['--require', `${repo}dist/cjs/register.js`], app: fixture('app.cjs') },
  'esm (--import dist/esm/register.js)': { preload: ['--import', `${repo}dist/esm/register.js`], app: fixture('app.mjs') },
} as const;

// The subset of OTLP/JSON this reads.
type AnyValue = { stringValue?: string; intValue?: number | string; doubleValue?: number };
type KeyValue = { key: string; value: AnyValue };
interface Span { name: string; kind: number; attributes: KeyValue[] }
interface TracesBody { resourceSpans: { scopeSpans: { scope: { name: string }; spans: Span[] }[] }[] }
interface DataPoint { attributes: KeyValue[]; asInt?: number | string; asDouble?: number }
interface Metric { name: string; sum?: { dataPoints: DataPoint[] } }
interface MetricsBody { resourceMetrics: { scopeMetrics: { metrics: Metric[] }[] }[] }

const SPAN_KIND_CLIENT = 3;

/** Loopback OTLP/HTTP collector that keeps every JSON body it receives, by path. */
async function startCollector(): Promise<{ port: number; bodies: Map<string, unknown[]>; close(): Promise<void> }> {
  const bodies = new Map<string, unknown[]>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const list = bodies.get(req.url ?? '') ?? [];
      list.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      bodies.set(req.url ?? '', list);
      res.setHeader('content-type', 'application/json');
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    bodies,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function attr(attributes: KeyValue[], key: string): string | number | undefined {
  const value = attributes.find((a) => a.key === key)?.value;
  if (value === undefined) return undefined;
  if (value.intValue !== undefined) return Number(value.intValue);
  return value.stringValue ?? value.doubleValue;
}

function spansOf(bodies: unknown[], scope: string): Span[] {
  return (bodies as TracesBody[]).flatMap((b) =>
    b.resourceSpans.flatMap((r) => r.scopeSpans.filter((s) => s.scope.name === scope).flatMap((s) => s.spans)));
}

/** `circuit_breaker.calls` by outcome for one breaker, from the last export (cumulative totals). */
function callsOf(bodies: unknown[], breaker: string): Record<string, number> {
  const last = bodies.at(-1) as MetricsBody | undefined;
  const points = (last?.resourceMetrics ?? [])
    .flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics))
    .filter((m) => m.name === 'circuit_breaker.calls')
    .flatMap((m) => m.sum?.dataPoints ?? [])
    .filter((p) => attr(p.attributes, 'circuit_breaker.name') === breaker);
  const calls: Record<string, number> = {};
  for (const p of points) calls[String(attr(p.attributes, 'circuit_breaker.outcome'))] = Number(p.asInt ?? p.asDouble);
  return calls;
}

describe('breakwater/register with instrumentation-http (child processes, OTLP/JSON to a loopback collector)', () => {
  let collector: Awaited<ReturnType<typeof startCollector>> | undefined;
  afterEach(async () => {
    await collector?.close();
    collector = undefined;
  });

  for (const [kind, { preload, app }] of Object.entries(APPS)) {
    it(`${kind}: the app's node:http call gets an instrumentation-http CLIENT span and a breakwater breaker`, async () => {
      collector = await startCollector();
      const child = runApp(preload, app, {
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_METRICS_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${collector.port}`,
      });
      const exit = await child.exit; // exports are flushed when the app's event loop runs dry
      expect(exit).toEqual({ code: 0, signal: null });
      expect(child.stderr).toBe('');
      const info = JSON.parse(child.stdout.split('\n').find((l) => l.startsWith('{'))!) as { port: number };

      const spans = spansOf(collector.bodies.get('/v1/traces') ?? [], '@opentelemetry/instrumentation-http');
      const clients = spans.filter((s) => s.kind === SPAN_KIND_CLIENT);
      // The fixture's one node:http request: GET /fail, answered 503 (fetch goes through undici,
      // which instrumentation-http does not see).
      expect(clients).toHaveLength(1);
      expect(attr(clients[0]!.attributes, 'server.port')).toBe(info.port);
      expect(String(attr(clients[0]!.attributes, 'url.full'))).toBe(`http://127.0.0.1:${info.port}/fail`);
      expect(attr(clients[0]!.attributes, 'http.response.status_code')).toBe(503);
      // ...and the app's server saw all three requests (SERVER spans from the same instrumentation).
      expect(spans.filter((s) => s.kind !== SPAN_KIND_CLIENT)).toHaveLength(3);

      const metrics = collector.bodies.get('/v1/metrics') ?? [];
      // Breakwater protected the same destination: two fetch successes, the node:http 503 a failure.
      expect(callsOf(metrics, `127.0.0.1:${info.port}`)).toMatchObject({ success: 2, failure: 1 });
      // The exporters' own requests (suppressed context) are neither traced nor protected.
      expect(clients.some((s) => attr(s.attributes, 'server.port') === collector!.port)).toBe(false);
      expect(callsOf(metrics, `127.0.0.1:${collector.port}`)).toEqual({});
    });
  }
});
