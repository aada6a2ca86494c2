import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { BreakerRegistry } from '../../src/breaker/registry.js';
import { BreakwaterTelemetry } from '../../src/telemetry/telemetry.js';

/** A real PrometheusExporter served on a loopback ephemeral port; returns a scrape function. */
async function prometheus(): Promise<{ provider: MeterProvider; scrape(): Promise<string>; close(): Promise<void> }> {
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const provider = new MeterProvider({ readers: [exporter] });
  const server = http.createServer((req, res) => exporter.getMetricsRequestHandler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    provider,
    scrape: async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text(),
    close: async () => {
      await provider.shutdown();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** The sample lines (no comments) of one metric family, scope labels removed for readability. */
function samples(text: string, family: string): string[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${family}{`))
    .map((l) => l.replace(/,?otel_scope_name="[^"]*"|,?otel_scope_version="[^"]*"/g, ''))
    .sort();
}

describe('Prometheus exposition', () => {
  it('prints the DESIGN.md names, types, units and values after a scripted scenario', async () => {
    const clock = { t: 0 };
    const registry = new BreakerRegistry({ defaults: { failureThreshold: 2, openTimeoutMs: 100, clock: { now: () => clock.t } } });
    const prom = await prometheus();
    const telemetry = new BreakwaterTelemetry({ registries: [registry] });
    telemetry.setMeter(prom.provider.getMeter('breakwater', '0.1.0'));
    telemetry.enable();

    const b = registry.get('pay:443', { attributes: { 'server.address': 'pay', 'server.port': 443 } });
    await b.execute(async () => 1);
    for (let i = 0; i < 2; i++) await b.execute(async () => { throw new Error('x'); }).catch(() => {});
    await b.execute(async () => 1).catch(() => {}); // rejected while open
    clock.t += 100;
    await b.execute(async () => 1); // probe closes it

    const text = await prom.scrape();
    const l = 'server_address="pay",server_port="443",circuit_breaker_name="pay:443"';
    expect(text).toContain('# TYPE circuit_breaker_calls_total counter');
    expect(text).toContain('# TYPE circuit_breaker_rejections_total counter');
    expect(text).toContain('# TYPE circuit_breaker_transitions_total counter');
    expect(text).toContain('# TYPE circuit_breaker_state gauge');
    expect(text).toContain('# UNIT circuit_breaker_calls_total {call}');
    expect(samples(text, 'circuit_breaker_calls_total')).toEqual([
      `circuit_breaker_calls_total{${l},circuit_breaker_outcome="failure"} 2`,
      `circuit_breaker_calls_total{${l},circuit_breaker_outcome="ignored"} 0`,
      `circuit_breaker_calls_total{${l},circuit_breaker_outcome="success"} 2`,
    ]);
    expect(samples(text, 'circuit_breaker_rejections_total')).toEqual([
      `circuit_breaker_rejections_total{${l},circuit_breaker_state="half_open"} 0`,
      `circuit_breaker_rejections_total{${l},circuit_breaker_state="open"} 1`,
    ]);
    expect(samples(text, 'circuit_breaker_transitions_total')).toEqual([
      `circuit_breaker_transitions_total{${l},circuit_breaker_transition_from="closed",circuit_breaker_transition_to="open"} 1`,
      `circuit_breaker_transitions_total{${l},circuit_breaker_transition_from="half_open",circuit_breaker_transition_to="closed"} 1`,
      `circuit_breaker_transitions_total{${l},circuit_breaker_transition_from="open",circuit_breaker_transition_to="half_open"} 1`,
    ]);
    expect(samples(text, 'circuit_breaker_state')).toEqual([
      `circuit_breaker_state{${l},circuit_breaker_state="closed"} 1`,
      `circuit_breaker_state{${l},circuit_breaker_state="half_open"} 0`,
      `circuit_breaker_state{${l},circuit_breaker_state="open"} 0`,
    ]);
    expect(text).toMatch(/circuit_breaker_state\{[^}]*otel_scope_name="breakwater"/);
    await prom.close();
  });

  it('an evicted breaker leaves the scrape; a second provider gets the series once, the first none', async () => {
    const registry = new BreakerRegistry({ maxBreakers: 2 });
    const first = await prometheus();
    const second = await prometheus();
    const telemetry = new BreakwaterTelemetry({ registries: [registry] });
    telemetry.setMeter(first.provider.getMeter('breakwater'));
    telemetry.enable();
    await registry.get('a:1').execute(async () => 1);
    await registry.get('b:1').execute(async () => 1);
    expect(await first.scrape()).toContain('circuit_breaker_name="a:1"');

    await registry.get('c:1').execute(async () => 1); // the cap evicts a:1, the least recently used
    let text = await first.scrape();
    expect(text).not.toContain('circuit_breaker_name="a:1"');
    expect(samples(text, 'circuit_breaker_calls_total').filter((s) => s.includes('outcome="success"'))).toHaveLength(2);

    telemetry.setMeter(second.provider.getMeter('breakwater'));
    expect(await first.scrape()).not.toContain('circuit_breaker');
    text = await second.scrape();
    expect(samples(text, 'circuit_breaker_calls_total').filter((s) => s.includes('outcome="success"'))).toEqual([
      'circuit_breaker_calls_total{circuit_breaker_name="b:1",circuit_breaker_outcome="success"} 1',
      'circuit_breaker_calls_total{circuit_breaker_name="c:1",circuit_breaker_outcome="success"} 1',
    ]);
    await first.close();
    await second.close();
  });
});
