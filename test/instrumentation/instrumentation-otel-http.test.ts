// BreakwaterInstrumentation next to @opentelemetry/instrumentation-http, registered together in
// either order: every request keeps its client span, breakers still trip, and breakwater's span
// events land on the client span of the request that caused them.
import http from 'node:http';
import { createRequire } from 'node:module';
import { context, SpanKind } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BreakwaterInstrumentation } from '../../src/instrumentation/instrumentation.js';
import { statusServer, type StatusServer } from './instrumentation-harness.js';

const require = createRequire(import.meta.url);
let server: StatusServer;
const exporter = new InMemorySpanExporter();
const tracerProvider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
// One instance of each for the file, as in an application: their require hooks see node:http on
// the next require; afterwards enable()/disable() re-apply and remove their patches.
const otelHttp = new HttpInstrumentation({ enabled: false });
const breakwater = new BreakwaterInstrumentation({ instrument: ['http'], breaker: { failureThreshold: 2, openTimeoutMs: 60_000 }, enabled: false });

beforeAll(async () => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  otelHttp.setTracerProvider(tracerProvider);
  otelHttp.enable();
  breakwater.enable();
  require('node:http');
  otelHttp.disable();
  breakwater.disable();
  server = await statusServer();
});
afterAll(async () => {
  await server.close();
  context.disable();
});

function get(url: string): Promise<number | Error> {
  return new Promise((resolve) => {
    http.get(url, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
    }).on('error', resolve);
  });
}

describe.each(['breakwater first', 'instrumentation-http first'])('%s', (order) => {
  it('keeps a client span per request, trips, and puts the breaker events on those spans', async () => {
    exporter.reset();
    breakwater.registry.clear();
    const instrumentations = order === 'breakwater first' ? [breakwater, otelHttp] : [otelHttp, breakwater];
    const unregister = registerInstrumentations({ instrumentations, tracerProvider });
    try {
      server.status = 503;
      const key = `127.0.0.1:${server.port}`;
      expect(await get(`${server.origin}/1`)).toBe(503);
      expect(await get(`${server.origin}/2`)).toBe(503);
      const before = server.requests;
      expect(await get(`${server.origin}/3`)).toMatchObject({ code: 'ECIRCUITOPEN', breakerName: key });
      expect(server.requests).toBe(before);

      const spans = exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.CLIENT);
      expect(spans).toHaveLength(3);
      expect(spans.map((s) => s.events.map((e) => e.name))).toEqual([
        [],
        ['circuit_breaker.state_change'],
        ['circuit_breaker.rejected', 'exception'], // instrumentation-http records the CircuitOpenError
      ]);
      expect(spans[2]!.events[0]!.attributes).toEqual({ 'circuit_breaker.name': key, 'circuit_breaker.state': 'open' });
    } finally {
      unregister();
      http.globalAgent.destroy();
      server.status = 200;
    }
  });
});
