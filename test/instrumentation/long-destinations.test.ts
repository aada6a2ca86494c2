// Destination names come from whoever picks the URL: 250 requests to 64 KB host names must not make
// 64 KB breaker names and label values (a Prometheus scrape of hundreds of MB).
import http from 'node:http';
import type { AddressInfo, LookupFunction } from 'node:net';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_LABEL_LENGTH } from '../../src/common/bounded-label.js';
import { BreakwaterInstrumentation } from '../../src/instrumentation/instrumentation.js';
import { settle } from './http-calls.js';
import { statusServer, type StatusServer } from './instrumentation-harness.js';

const COUNT = 250;
const HOST_LENGTH = 64 * 1024;

// Every host name resolves to the loopback server (Node asks with `all: true` when it races families).
const lookup = ((_host: string, options: { all?: boolean }, cb: (...args: unknown[]) => void) => {
  if (options.all) cb(null, [{ address: '127.0.0.1', family: 4 }]);
  else cb(null, '127.0.0.1', 4);
}) as unknown as LookupFunction;

let server: StatusServer;
let metricsServer: http.Server;
let exporter: PrometheusExporter;
beforeAll(async () => {
  server = await statusServer();
  exporter = new PrometheusExporter({ preventServerStart: true });
  metricsServer = http.createServer((req, res) => exporter.getMetricsRequestHandler(req, res));
  await new Promise<void>((resolve) => metricsServer.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  await server.close();
  await new Promise((resolve) => metricsServer.close(resolve));
});

/** 64 KB host names that differ only in their last characters. */
function longHost(i: number): string {
  return `${'a'.repeat(HOST_LENGTH - 5)}-${String(i).padStart(4, '0')}`;
}

function get(host: string): Promise<unknown> {
  // The Host header is set apart: the server refuses 64 KB headers, and what it answers is not the point.
  return settle(http.get({ host, port: server.port, lookup, headers: { host: 'localhost' } }));
}

describe('destinations with very long host names', () => {
  it(`${COUNT} requests to ${HOST_LENGTH}-character hosts: bounded names and labels, distinct breakers, a small scrape`, async () => {
    const provider = new MeterProvider({ readers: [exporter] });
    const inst = new BreakwaterInstrumentation({ instrument: ['http'] });
    inst.setMeterProvider(provider);
    try {
      for (let i = 0; i < COUNT; i++) await get(longHost(i));
      await get(longHost(0)); // the same host again: the same breaker
      const names = [...inst.registry].map((b) => b.name);
      expect(names).toHaveLength(COUNT);
      expect(new Set(names).size).toBe(COUNT);
      expect(Math.max(...names.map((n) => n.length))).toBe(MAX_LABEL_LENGTH);
      expect(names[0]).toMatch(/^a{231}~[0-9a-f]{24}$/);
      expect([...inst.registry].reduce((n, b) => n + b.metrics.successfulCalls, 0)).toBe(COUNT + 1);

      // 250 breakers' series with 256-character labels fit in 2 MB; unbounded, they took a hundred times more.
      const text = await (await fetch(`http://127.0.0.1:${(metricsServer.address() as AddressInfo).port}/metrics`)).text();
      const values = [...text.matchAll(/="((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!);
      expect(values.length).toBeGreaterThan(COUNT * 2);
      expect(Math.max(...values.map((v) => v.length))).toBeLessThanOrEqual(MAX_LABEL_LENGTH);
      expect(text.length).toBeLessThan(2 * 1024 * 1024);
    } finally {
      inst.disable();
      http.globalAgent.destroy();
      await provider.shutdown();
    }
  });
});
