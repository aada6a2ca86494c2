import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = fileURLToPath(new URL('../../', import.meta.url));

interface CollectorConfig {
  extensions?: Record<string, { endpoint?: string } | null>;
  receivers?: Record<string, { protocols?: Record<string, { endpoint?: string } | null> } | null>;
  processors?: Record<string, unknown>;
  exporters?: Record<string, { endpoint?: string } | null>;
  service: {
    extensions?: string[];
    pipelines: Record<string, { receivers: string[]; processors?: string[]; exporters: string[] }>;
  };
}
const config = parse(readFileSync(join(root, 'otel-collector.yaml'), 'utf8')) as CollectorConfig;
const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, { ports?: string[]; environment?: Record<string, string>; command?: string[]; volumes?: string[] }>;
};
const prometheusConfig = parse(readFileSync(join(root, 'prometheus.yml'), 'utf8')) as {
  scrape_configs: Array<{ job_name: string; honor_labels?: boolean; static_configs: Array<{ targets: string[] }> }>;
};

const portOf = (endpoint: string | undefined) => Number(/:(\d+)$/.exec(endpoint ?? '')?.[1]);
/** A component id is `type` or `type/name`; the collector resolves both against the section. */
const defined = (section: Record<string, unknown> | undefined, id: string) => section !== undefined && Object.hasOwn(section, id);

describe('otel-collector.yaml', () => {
  it('defines every component its pipelines and extensions use', () => {
    const pipelines = Object.entries(config.service.pipelines);
    expect(pipelines.length).toBeGreaterThan(0);
    for (const [name, p] of pipelines) {
      expect(p.receivers.length, `${name} receivers`).toBeGreaterThan(0);
      expect(p.exporters.length, `${name} exporters`).toBeGreaterThan(0);
      for (const id of p.receivers) expect(defined(config.receivers, id), `${name}: receiver ${id}`).toBe(true);
      for (const id of p.processors ?? []) expect(defined(config.processors, id), `${name}: processor ${id}`).toBe(true);
      for (const id of p.exporters) expect(defined(config.exporters, id), `${name}: exporter ${id}`).toBe(true);
    }
    for (const id of config.service.extensions ?? []) expect(defined(config.extensions, id), `extension ${id}`).toBe(true);
  });

  it('declares no component that no pipeline uses', () => {
    const used = (kind: 'receivers' | 'processors' | 'exporters') =>
      new Set(Object.values(config.service.pipelines).flatMap((p) => p[kind] ?? []));
    for (const kind of ['receivers', 'processors', 'exporters'] as const) {
      for (const id of Object.keys(config[kind] ?? {})) expect(used(kind).has(id), `${kind}: ${id} is unused`).toBe(true);
    }
    for (const id of Object.keys(config.extensions ?? {})) expect(config.service.extensions, `extension ${id}`).toContain(id);
  });

  it('is OTLP (gRPC 4317, HTTP 4318) -> batch -> prometheus + debug for metrics, with health_check', () => {
    const metrics = config.service.pipelines.metrics;
    expect(metrics.receivers).toEqual(['otlp']);
    expect(metrics.processors).toContain('batch');
    expect(metrics.exporters).toEqual(expect.arrayContaining(['prometheus', 'debug']));
    expect(portOf(config.receivers?.otlp?.protocols?.grpc?.endpoint)).toBe(4317);
    expect(portOf(config.receivers?.otlp?.protocols?.http?.endpoint)).toBe(4318);
    expect(config.service.extensions).toContain('health_check');
  });

  it('listens on the ports the compose stack publishes and Prometheus scrapes', () => {
    const collector = compose.services['otel-collector'];
    const published = (collector.ports ?? []).map((p) => Number(p.split(':').at(-1)));
    expect(published).toEqual(
      expect.arrayContaining([
        portOf(config.receivers?.otlp?.protocols?.grpc?.endpoint),
        portOf(config.receivers?.otlp?.protocols?.http?.endpoint),
        portOf(config.extensions?.health_check?.endpoint),
      ]),
    );
    // The config file is mounted where the command points the collector at it.
    const mount = (collector.volumes ?? []).find((v) => v.startsWith('./otel-collector.yaml:'));
    expect(mount, 'otel-collector.yaml is mounted').toBeDefined();
    const target = mount!.split(':')[1];
    expect(collector.command).toContain(`--config=${target}`);
    // Prometheus scrapes the collector's prometheus exporter, keeping the applications' job/instance.
    const job = prometheusConfig.scrape_configs.find((j) => j.job_name === 'otel-collector');
    expect(job?.honor_labels).toBe(true);
    expect(job?.static_configs[0].targets).toEqual([`otel-collector:${portOf(config.exporters?.prometheus?.endpoint)}`]);
  });

  it('receives OTLP on the endpoint the compose services push to', () => {
    const httpPort = portOf(config.receivers?.otlp?.protocols?.http?.endpoint);
    const pushers = Object.entries(compose.services).filter(([, s]) => s.environment?.OTEL_EXPORTER_OTLP_ENDPOINT);
    expect(pushers.length).toBeGreaterThan(0);
    for (const [name, s] of pushers) {
      // OTLP/HTTP is the SDK's default protocol; the endpoint names the collector's HTTP receiver.
      expect(s.environment?.OTEL_EXPORTER_OTLP_ENDPOINT, name).toBe(`http://otel-collector:${httpPort}`);
      expect(s.environment?.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf', name).toMatch(/^http\//);
    }
  });
});
