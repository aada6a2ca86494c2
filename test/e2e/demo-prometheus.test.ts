import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { findBinary } from '../deploy/binaries.js';
import { BUILTIN_VARIABLES, panelQueries, readDashboard, substitute } from '../deploy/dashboard-queries.js';
import { assertBuilt, eventually, freePort, root, RunningNode, RunningProcess } from '../examples/child.js';
import { finiteSamples, PrometheusApi } from './prometheus.js';

/*
 * The final proof: the demo (flaky downstream + two service replicas) and a REAL Prometheus, run
 * with the repository's prometheus.yml and rules (targets rewritten to this test's loopback ports,
 * 1 s intervals). Asserted through Prometheus's HTTP API: every breakwater metric of DESIGN.md with
 * its labels, every query of every dashboard panel returning data, and the rules evaluating.
 */

const prometheusBinary = findBinary('prometheus');
const skip = prometheusBinary === undefined && !process.env.CI;
const JOB = 'breakwater-demo';

/** DESIGN.md "Metrics": Prometheus names, their own labels, and the values enumerated there. */
const METRICS: Record<string, Record<string, readonly string[] | null>> = {
  circuit_breaker_calls_total: { circuit_breaker_name: null, circuit_breaker_outcome: ['success', 'failure', 'ignored'] },
  circuit_breaker_rejections_total: { circuit_breaker_name: null, circuit_breaker_state: ['open', 'half_open'] },
  circuit_breaker_transitions_total: {
    circuit_breaker_name: null,
    circuit_breaker_transition_from: ['closed', 'open', 'half_open'],
    circuit_breaker_transition_to: ['closed', 'open', 'half_open'],
  },
  circuit_breaker_state: { circuit_breaker_name: null, circuit_breaker_state: ['closed', 'open', 'half_open'] },
  health_check_score: {},
  health_check_status: {
    health_check_name: null,
    health_check_component_type: ['grpc_server', 'websocket', 'database', 'circuit_breaker', 'system', 'custom'],
    health_check_status: ['healthy', 'degraded', 'unhealthy', 'unknown'],
  },
  health_check_duration_bucket: { health_check_name: null, le: null },
  health_check_duration_sum: { health_check_name: null },
  health_check_duration_count: { health_check_name: null },
  health_check_heals_total: { health_check_name: null, health_check_heal_outcome: ['success', 'failure'] },
};

describe.skipIf(skip)(skip ? 'e2e: prometheus not on PATH (Debian: apt-get install prometheus); skipped outside CI' : 'e2e: the demo scraped by a real Prometheus', () => {
  const children: RunningProcess[] = [];
  let downstream: RunningNode;
  let prometheus: RunningProcess;
  let api: PrometheusApi;
  let dir: string;
  let flaky = '';
  let steady = '';
  const instances: string[] = [];
  const startedAt = Date.now() / 1000;

  beforeAll(async () => {
    assertBuilt();
    dir = mkdtempSync(join(tmpdir(), 'bw-e2e-'));

    downstream = new RunningNode(['examples/demo/downstream.mjs'], { PORT: '0', STEADY_PORT: '0', FLAKY_HEALTHY_MS: '2500', FLAKY_FAILING_MS: '1500' });
    children.push(downstream);
    flaky = `127.0.0.1:${(await downstream.waitFor(/flaky downstream listening on http:\/\/127\.0\.0\.1:(\d+)/))[1]}`;
    steady = `127.0.0.1:${(await downstream.waitFor(/steady downstream listening on http:\/\/127\.0\.0\.1:(\d+)/))[1]}`;

    // Two replicas, as in docker-compose.yml.
    for (const name of ['demo-1', 'demo-2']) {
      const metricsPort = await freePort();
      const replica = new RunningNode(['examples/demo/service.mjs'], {
        PORT: '0',
        DOWNSTREAM_URL: `http://${flaky}`,
        STEADY_URL: `http://${steady}`,
        OTEL_EXPORTER_PROMETHEUS_PORT: String(metricsPort),
        OTEL_RESOURCE_ATTRIBUTES: `service.instance.id=${name}`,
        DEMO_TRAFFIC_INTERVAL_MS: '100',
        DEMO_CHECK_INTERVAL_MS: '500',
        DEMO_DB_OUTAGE_EVERY_MS: '2000',
      });
      children.push(replica);
      await replica.waitFor(/demo service listening/);
      await replica.waitFor(/metrics on http:\/\//);
      instances.push(`127.0.0.1:${metricsPort}`);
    }

    // The repository's prometheus.yml, pointed at this test's ports. The collector job is dropped:
    // no collector runs here (test/deploy checks its config against the compose stack instead).
    const config = parse(readFileSync(join(root, 'prometheus.yml'), 'utf8')) as {
      global: Record<string, string>;
      rule_files: string[];
      scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[] }> }>;
    };
    config.global.scrape_interval = '1s';
    config.global.evaluation_interval = '1s';
    config.rule_files = config.rule_files.map((f) => join(root, f));
    const demoJob = config.scrape_configs.find((j) => j.job_name === JOB);
    if (!demoJob) throw new Error(`prometheus.yml has no job ${JOB}`);
    demoJob.static_configs = [{ targets: instances }];
    config.scrape_configs = [demoJob];
    writeFileSync(join(dir, 'prometheus.yml'), stringify(config));

    const port = await freePort();
    prometheus = new RunningProcess(prometheusBinary ?? 'prometheus', [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ]);
    children.push(prometheus);
    api = new PrometheusApi(`http://127.0.0.1:${port}`);
    await eventually('Prometheus to be ready', async () => ((await api.ready()) ? true : undefined), 30_000);
  }, 90_000);

  afterAll(async () => {
    // Replicas first (their SIGTERM path is part of what is tested below), Prometheus last.
    for (const child of children.reverse()) if (!child.exited) await child.stop('SIGTERM').catch(() => child.stop('SIGKILL'));
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('scrapes both replicas', async () => {
    const up = await eventually('both targets up', async () => {
      const { activeTargets } = await api.targets();
      const ours = activeTargets.filter((t) => t.labels.job === JOB);
      return ours.length === 2 && ours.every((t) => t.health === 'up') ? ours : undefined;
    }, 30_000);
    expect(up.map((t) => t.labels.instance).sort()).toEqual([...instances].sort());
  }, 40_000);

  it('has every breakwater metric of DESIGN.md, with its labels, from both replicas', async () => {
    // Wait until the breakers went round (closed -> open -> half_open -> closed) and a database
    // heal failed and succeeded: then every enumerated value the demo can produce is there.
    const seen = await eventually('every metric with its labels', async () => {
      const all: Record<string, Array<Record<string, string>>> = {};
      for (const name of Object.keys(METRICS)) {
        all[name] = await api.series(`${name}{job="${JOB}"}`);
        if (all[name].length === 0) return undefined;
      }
      const values = (metric: string, label: string) => new Set(all[metric].map((s) => s[label]));
      const transitions = new Set(all.circuit_breaker_transitions_total.map((s) => `${s.circuit_breaker_transition_from}->${s.circuit_breaker_transition_to}`));
      const ready =
        ['closed->open', 'open->half_open', 'half_open->closed'].every((t) => transitions.has(t)) &&
        values('circuit_breaker_calls_total', 'circuit_breaker_outcome').has('failure') &&
        values('circuit_breaker_rejections_total', 'circuit_breaker_state').has('open') &&
        values('health_check_heals_total', 'health_check_heal_outcome').size === 2;
      return ready ? all : undefined;
    }, 60_000, 1_000);

    for (const [name, labels] of Object.entries(METRICS)) {
      const series = seen[name];
      expect(new Set(series.map((s) => s.instance)), `${name} from both replicas`).toEqual(new Set(instances));
      for (const s of series) {
        expect(s.job, name).toBe(JOB);
        for (const [label, allowed] of Object.entries(labels)) {
          expect(s[label], `${name} has label ${label}`).toBeTruthy();
          if (allowed) expect(allowed, `${name}{${label}="${s[label]}"}`).toContain(s[label]);
        }
      }
    }
    // Every state is exported for every breaker (1 for the current one, 0 for the others), and
    // every status for every check.
    const stateSeries = seen.circuit_breaker_state;
    for (const breaker of [flaky, steady]) {
      const states = stateSeries.filter((s) => s.circuit_breaker_name === breaker).map((s) => s.circuit_breaker_state);
      expect(new Set(states), breaker).toEqual(new Set(['closed', 'open', 'half_open']));
    }
    const checks = new Set(seen.health_check_status.map((s) => s.health_check_name));
    expect([...checks]).toEqual(expect.arrayContaining(['database', 'downstream', 'system', 'circuit_breakers']));
    for (const check of checks) {
      const statuses = seen.health_check_status.filter((s) => s.health_check_name === check && s.instance === instances[0]).map((s) => s.health_check_status);
      expect(new Set(statuses), check).toEqual(new Set(['healthy', 'degraded', 'unhealthy', 'unknown']));
    }
    expect(seen.health_check_status.find((s) => s.health_check_name === 'database')?.health_check_component_type).toBe('database');
    // Auto breakers also carry server.address and server.port.
    const flakyState = stateSeries.find((s) => s.circuit_breaker_name === flaky)!;
    expect(flakyState.server_address).toBe('127.0.0.1');
    expect(flakyState.server_port).toBe(flaky.split(':')[1]);
    // The resource, for the dashboard's variables.
    const targetInfo = await api.series(`target_info{job="${JOB}"}`);
    expect(new Set(targetInfo.map((s) => s.service_name))).toEqual(new Set(['breakwater-demo']));
  }, 70_000);

  it('returns data for every query of every dashboard panel (all replicas, and one)', async () => {
    const dashboard = readDashboard(join(root, 'grafana/dashboards/breakwater.json'));
    const queries = panelQueries(dashboard);
    expect(queries.length).toBeGreaterThan(10);
    const selections: Array<Record<string, string>> = [
      { job: '.*', instance: '.*', breaker: '.*', check: '.*' },
      { job: JOB, instance: instances[1], breaker: '.*', check: '.*' },
    ];
    for (const selection of selections) {
      for (const q of queries) {
        const expr = substitute(q.expr, { ...BUILTIN_VARIABLES, ...selection });
        const samples = await eventually(`data for "${q.panel}" ${q.refId} (${JSON.stringify(selection)}): ${expr}`, async () => {
          const now = Date.now() / 1000;
          const result = q.instant ? await api.query(expr) : await api.queryRange(expr, Math.max(startedAt, now - 120), now, 1);
          const finite = finiteSamples(result);
          return finite.length > 0 ? finite : undefined;
        }, 30_000, 1_000);
        expect(samples.length, q.panel).toBeGreaterThan(0);
      }
    }
  }, 240_000);

  it('answers the dashboard variables from the metrics', async () => {
    expect(await api.labelValues('job', 'target_info')).toContain(JOB);
    expect((await api.labelValues('instance', `target_info{job=~"${JOB}"}`)).sort()).toEqual([...instances].sort());
    expect(await api.labelValues('circuit_breaker_name', `circuit_breaker_state{job=~"${JOB}"}`)).toEqual(expect.arrayContaining([flaky, steady]));
    expect(await api.labelValues('health_check_name', `health_check_status{job=~"${JOB}"}`)).toEqual(
      expect.arrayContaining(['database', 'downstream']),
    );
  });

  it('evaluates every recording rule and alert without error, and the recording rules have data', async () => {
    const groups = await eventually('every rule evaluated', async () => {
      const { groups } = await api.rules();
      const rules = groups.flatMap((g) => g.rules);
      return rules.length > 0 && rules.every((r) => r.health === 'ok') ? groups : undefined;
    }, 30_000, 1_000);
    const rules = groups.flatMap((g) => g.rules);
    expect(rules.filter((r) => r.type === 'alerting').map((r) => r.name).sort()).toEqual(
      ['CircuitBreakerFlapping', 'CircuitBreakerOpen', 'CriticalHealthCheckUnhealthy', 'HealthScoreLow'],
    );
    for (const r of rules.filter((x) => x.type === 'recording')) {
      const result = await eventually(`data for ${r.name}`, async () => {
        const res = await api.query(r.name);
        return res.length > 0 ? res : undefined;
      }, 20_000, 1_000);
      expect(result.length, r.name).toBeGreaterThan(0);
    }
    const calls = await api.query('breakwater:circuit_breaker_calls:rate1m');
    expect(new Set(calls.map((s) => s.metric.circuit_breaker_name))).toEqual(new Set([flaky, steady]));
  }, 60_000);

  it('fires CircuitBreakerFlapping for the flaky destination only, as the demo keeps tripping it', async () => {
    // The downstream fails for 1.5 s every 4 s, so its breaker trips from closed again and again; the steady
    // destination's never does. (The other alerts need minutes of `for:`; promtool tests them.)
    const firing = await eventually('CircuitBreakerFlapping to fire', async () => {
      const { alerts } = await api.alerts();
      const flapping = alerts.filter((a) => a.labels.alertname === 'CircuitBreakerFlapping' && a.state === 'firing');
      return flapping.length > 0 ? flapping : undefined;
    }, 90_000, 1_000);
    expect(new Set(firing.map((a) => a.labels.circuit_breaker_name))).toEqual(new Set([flaky]));
    expect(new Set(firing.map((a) => a.labels.job))).toEqual(new Set([JOB]));
    expect(firing[0].labels.severity).toBe('warning');
    expect(Number(firing[0].value)).toBeGreaterThanOrEqual(3);
  }, 100_000);

  it('stops the replicas and the downstream on SIGTERM', async () => {
    for (const child of children.filter((c) => c !== prometheus)) {
      const { code, signal } = await child.stop('SIGTERM');
      expect({ code, signal }).toEqual({ code: 0, signal: null });
    }
  }, 40_000);
});
