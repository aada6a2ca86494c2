// Breakwater and @opentelemetry/instrumentation-http on the same process, enabled in either order:
// every request still gets its span (rejected ones as errors) and the breakers still trip.
import http from 'node:http';
import { createRequire } from 'node:module';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isHttpPatched } from '../../src/instrumentation/http.js';
import { errorOf, settle } from './http-calls.js';
import { httpHarness } from './http-harness.js';
import { startTestServer, type TestServer } from './servers.js';

const require = createRequire(import.meta.url);
let server: TestServer;
const exporter = new InMemorySpanExporter();
const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
// One instance for the file, as in an application: its require hook patches node:http once, on the
// next require; after that enable()/disable() re-apply and remove the patch.
const otel = new HttpInstrumentation({ enabled: false });
otel.setTracerProvider(provider);

beforeAll(async () => {
  otel.enable();
  require('node:http');
  otel.disable();
  server = await startTestServer();
});
afterAll(() => server.close());

describe.each(['breakwater first', 'instrumentation-http first'])('%s', (order) => {
  it('produces a span per request and still trips', async () => {
    exporter.reset();
    const h = httpHarness();
    const enableOtel = (): void => otel.enable();
    if (order === 'breakwater first') {
      h.enable();
      enableOtel();
    } else {
      enableOtel();
      h.enable();
    }
    try {
      expect(isHttpPatched()).toBe(true);
      expect((http.request as { __wrapped?: boolean }).__wrapped).toBe(true); // instrumentation-http is in place

      server.fail(500);
      for (let i = 0; i < 3; i++) expect((await settle(http.get(`${server.origin}/x`))).status).toBe(500);
      const before = server.connections;
      const rejected = await errorOf(http.get(`${server.origin}/y`));
      expect(rejected.code).toBe('ECIRCUITOPEN');
      expect(server.connections).toBe(before);
      expect(h.breaker(`127.0.0.1:${server.port}`).metrics).toMatchObject({ failedCalls: 3, rejectedCalls: 1 });

      const spans = exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.CLIENT);
      expect(spans).toHaveLength(4);
      expect(spans.map((s) => s.attributes['http.response.status_code'] ?? s.attributes['http.status_code'])).toEqual([
        500,
        500,
        500,
        undefined,
      ]);
      expect(spans[3]!.status.code).toBe(SpanStatusCode.ERROR);
      expect(spans[3]!.status.message).toContain('is open');
    } finally {
      otel.disable();
      h.disable();
      http.globalAgent.destroy();
      server.dropConnections();
      server.recover();
    }
    expect(isHttpPatched()).toBe(false);
    expect((http.request as { __wrapped?: boolean }).__wrapped).toBeUndefined();
  });
});
