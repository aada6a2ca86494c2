import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { skipReason } from './binaries.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  environment?: Record<string, string>;
  ports?: Array<string | { published: number | string; target: number | string }>;
  volumes?: Array<string | { source: string; target: string }>;
  depends_on?: string[] | Record<string, unknown>;
}
type Compose = { services: Record<string, Service> };
const raw = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as Compose;
const prometheusConfig = parse(readFileSync(join(root, 'prometheus.yml'), 'utf8')) as {
  scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[] }> }>;
};
const skip = skipReason('docker-compose');

describe.skipIf(skip !== undefined)(`docker-compose config${skip ? ` (${skip})` : ''}`, () => {
  it('validates docker-compose.yml and resolves every service', () => {
    let out: string;
    try {
      out = execFileSync('docker-compose', ['-f', 'docker-compose.yml', 'config'], {
        cwd: root,
        encoding: 'utf8',
        timeout: 60_000,
        stdio: 'pipe',
        // No engine is needed for `config`; keep the client from looking for one or a .env elsewhere.
        env: { ...process.env, DOCKER_HOST: 'unix:///nonexistent.sock' },
      });
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`docker-compose config failed:\n${e.stderr ?? e.message}`, { cause: err });
    }
    const resolved = parse(out) as Compose;
    expect(Object.keys(resolved.services).sort()).toEqual(['demo-1', 'demo-2', 'downstream', 'grafana', 'otel-collector', 'prometheus']);
    // The YAML anchors resolved: both replicas run the demo service with their own instance id.
    for (const name of ['demo-1', 'demo-2']) {
      const s = resolved.services[name];
      expect(s.command).toEqual(['node', 'examples/demo/service.mjs']);
      expect(s.environment?.OTEL_RESOURCE_ATTRIBUTES).toBe(`service.instance.id=${name}`);
      expect(s.build?.dockerfile).toBe('examples/demo/Dockerfile');
    }
  });
});

describe('docker-compose.yml', () => {
  it('uses the images by name and builds the demo from the repository', () => {
    expect(raw.services['otel-collector'].image).toMatch(/^otel\/opentelemetry-collector-contrib(:|$)/);
    expect(raw.services.prometheus.image).toMatch(/^prom\/prometheus(:|$)/);
    expect(raw.services.grafana.image).toMatch(/^grafana\/grafana(:|$)/);
    expect(readFileSync(join(root, 'examples/demo/Dockerfile'), 'utf8')).toMatch(/^FROM node:24-slim\b/m);
    for (const name of ['demo-1', 'demo-2', 'downstream']) {
      const cmd = raw.services[name].command ?? [];
      const script = cmd.find((a) => a.startsWith('examples/'));
      expect(script && existsSync(join(root, script)), `${name} runs an existing script (${script})`).toBe(true);
    }
  });

  it('has Prometheus scrape both demo replicas on their exporter port', () => {
    const job = prometheusConfig.scrape_configs.find((j) => j.job_name === 'breakwater-demo');
    const targets = job?.static_configs.flatMap((c) => c.targets) ?? [];
    const expected = ['demo-1', 'demo-2'].map((n) => `${n}:${raw.services[n].environment?.OTEL_EXPORTER_PROMETHEUS_PORT}`);
    expect(targets.sort()).toEqual(expected.sort());
    for (const n of ['demo-1', 'demo-2']) expect(raw.services[n].environment?.OTEL_EXPORTER_PROMETHEUS_HOST).toBe('0.0.0.0');
  });

  it('has the demo replicas call the downstream service on the port it listens on', () => {
    const port = raw.services.downstream.environment?.PORT;
    for (const n of ['demo-1', 'demo-2']) {
      expect(raw.services[n].environment?.DOWNSTREAM_URL).toBe(`http://downstream:${port}`);
    }
  });

  it('mounts prometheus.yml and the rules where the config expects them', () => {
    const volumes = (raw.services.prometheus.volumes ?? []) as string[];
    expect(volumes).toContain('./prometheus.yml:/etc/prometheus/prometheus.yml:ro');
    // rule_files are relative to the config file: /etc/prometheus/<rule file>.
    const rulesDir = volumes.find((v) => v.startsWith('./prometheus:'))?.split(':')[1];
    const ruleFiles = (parse(readFileSync(join(root, 'prometheus.yml'), 'utf8')) as { rule_files: string[] }).rule_files;
    for (const f of ruleFiles) {
      expect(existsSync(join(root, f)), f).toBe(true);
      expect(`/etc/prometheus/${f}`.startsWith(`${rulesDir}/`), `${f} is inside the mounted ${rulesDir}`).toBe(true);
    }
  });

  it('mounts the Grafana provisioning and dashboards where the provider reads them', () => {
    const volumes = (raw.services.grafana.volumes ?? []) as string[];
    expect(volumes).toContain('./grafana/provisioning:/etc/grafana/provisioning:ro');
    const provider = parse(readFileSync(join(root, 'grafana/provisioning/dashboards/breakwater.yml'), 'utf8')) as {
      providers: Array<{ options: { path: string } }>;
    };
    expect(volumes).toContain(`./grafana/dashboards:${provider.providers[0].options.path}:ro`);
    const datasource = parse(readFileSync(join(root, 'grafana/provisioning/datasources/prometheus.yml'), 'utf8')) as {
      datasources: Array<{ type: string; url: string }>;
    };
    const promPort = ((raw.services.prometheus.ports ?? []) as string[])[0].split(':').at(-1);
    expect(datasource.datasources[0]).toMatchObject({ type: 'prometheus', url: `http://prometheus:${promPort}` });
    expect(raw.services.grafana.ports).toContain('3000:3000');
    expect(raw.services.grafana.environment?.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH).toBe(
      `${provider.providers[0].options.path}/breakwater.json`,
    );
  });
});
