// The fetch/undici patch next to @opentelemetry/instrumentation-undici (enabled in either order: the
// spans still come, the breakers still trip), and driven by BreakwaterInstrumentation itself.
import { SpanKind } from '@opentelemetry/api';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CircuitOpenError } from '../../src/breaker/errors.js';
import { BreakwaterInstrumentation } from '../../src/instrumentation/instrumentation.js';
import { CURRENT_SLOT, fetchHarness, LEGACY_SLOT, slot } from './fetch-harness.js';
import { startTestServer, type TestServer } from './servers.js';

let server: TestServer;
const exporter = new InMemorySpanExporter();
const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
// Not `{ enabled: false }`: instrumentation-undici 0.34 then skips every request even after enable().
const otel = new UndiciInstrumentation();
otel.disable();
otel.setTracerProvider(provider);

beforeAll(async () => {
  void globalThis.Headers; // Node's bundled dispatcher exists before anything is enabled
  server = await startTestServer();
});
afterAll(() => server.close());

function causeOf(err: unknown): unknown {
  return (err as { cause?: unknown }).cause;
}

describe.each(['breakwater first', 'instrumentation-undici first'])('%s', (order) => {
  it('produces a span per request that reached the server and still trips', async () => {
    exporter.reset();
    server.resetCounts();
    const h = fetchHarness();
    if (order === 'breakwater first') {
      h.enable();
      otel.enable();
    } else {
      otel.enable();
      h.enable();
    }
    try {
      server.ok();
      expect(await (await fetch(`${server.origin}/ok`)).text()).toBe('ok');
      server.fail(500, { connection: 'close' });
      for (let i = 0; i < 3; i++) {
        const res = await fetch(`${server.origin}/fail`);
        expect(res.status).toBe(500);
        await res.text(); // the span ends with the body
      }
      const b = h.breaker(server.port);
      expect(b.state).toBe('open');
      const connections = server.connections;
      expect(causeOf(await fetch(`${server.origin}/rejected`).catch((e: unknown) => e))).toBeInstanceOf(CircuitOpenError);
      expect(server.connections).toBe(connections);

      const spans = exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.CLIENT);
      // One span per request that went out; a rejected request never reaches undici's client.
      expect(spans.map((s) => s.attributes['http.response.status_code'])).toEqual([200, 500, 500, 500]);
      expect(b.metrics).toMatchObject({ successfulCalls: 1, failedCalls: 3, rejectedCalls: 1 });
      expect(b.metrics.successfulCalls + b.metrics.failedCalls).toBe(server.requests);
    } finally {
      otel.disable();
      h.disable();
    }
  });
});

describe('BreakwaterInstrumentation({ instrument: ["fetch"] })', () => {
  it('protects fetch while enabled and restores the dispatchers when disabled', async () => {
    server.resetCounts();
    const before = { legacy: slot(LEGACY_SLOT), current: slot(CURRENT_SLOT), fetch: globalThis.fetch };
    const instrumentation = new BreakwaterInstrumentation({
      instrument: ['fetch'],
      breaker: { failureThreshold: 2, openTimeoutMs: 60_000 },
    });
    try {
      expect(slot(LEGACY_SLOT)).not.toBe(before.legacy);
      server.fail(503, { connection: 'close' });
      for (let i = 0; i < 2; i++) await (await fetch(server.origin)).text();
      const b = instrumentation.registry.peek(`127.0.0.1:${server.port}`);
      expect(b?.state).toBe('open');
      const connections = server.connections;
      const err = await fetch(server.origin).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TypeError);
      expect((causeOf(err) as CircuitOpenError).code).toBe('ECIRCUITOPEN');
      expect(server.connections).toBe(connections);

      instrumentation.disable();
      expect({ legacy: slot(LEGACY_SLOT), current: slot(CURRENT_SLOT), fetch: globalThis.fetch }).toEqual(before);
      expect(slot(LEGACY_SLOT)).toBe(before.legacy);
      expect((await fetch(server.origin)).status).toBe(503);

      instrumentation.enable();
      expect(causeOf(await fetch(server.origin).catch((e: unknown) => e))).toBeInstanceOf(CircuitOpenError);
    } finally {
      instrumentation.disable();
    }
  });
});
