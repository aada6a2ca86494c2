import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { skipReason } from './binaries.js';
import { BUILTIN_VARIABLES, dataPanels, panelQueries, readDashboard, substitute, variablesIn } from './dashboard-queries.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const dashboard = readDashboard(join(root, 'grafana/dashboards/breakwater.json'));
const variables = dashboard.templating.list.map((v) => v.name);
const allValues: Record<string, string> = { ...BUILTIN_VARIABLES, ...Object.fromEntries(variables.map((v) => [v, '.*'])) };

describe('the Grafana dashboard', () => {
  it('has the panels the README describes, each with a query', () => {
    const titles = dataPanels(dashboard).map((p) => p.title);
    for (const t of [
      'Breaker state per destination (worst replica)',
      'Call rate by outcome',
      'Rejections (failed fast)',
      'State transitions',
      'Health score per replica',
      'Check status (worst replica)',
      'Check duration (p95 and mean)',
    ]) {
      expect(titles).toContain(t);
    }
    for (const p of dataPanels(dashboard)) expect(panelQueries({ ...dashboard, panels: [p] }).length, p.title).toBeGreaterThan(0);
  });

  it('has job and instance variables so a fleet of replicas aggregates', () => {
    const byName = Object.fromEntries(dashboard.templating.list.map((v) => [v.name, v as unknown as Record<string, unknown>]));
    for (const name of ['job', 'instance']) {
      expect(byName[name]).toMatchObject({ type: 'query', multi: true, includeAll: true, allValue: '.*' });
    }
    // Every query filters on both, so choosing one replica (or All) changes every panel.
    for (const q of panelQueries(dashboard)) {
      expect(q.expr, q.panel).toContain('job=~"$job"');
      expect(q.expr, q.panel).toContain('instance=~"$instance"');
    }
  });

  it('uses only variables it defines (or Grafana built-ins)', () => {
    for (const q of panelQueries(dashboard)) {
      for (const v of variablesIn(q.expr)) expect([...variables, ...Object.keys(BUILTIN_VARIABLES)], `${q.panel}: $${v}`).toContain(v);
    }
  });

  it('points every panel at the datasource variable', () => {
    for (const p of dataPanels(dashboard)) {
      expect((p as unknown as { datasource: unknown }).datasource, p.title).toEqual({ type: 'prometheus', uid: '${datasource}' });
    }
  });

  it('substitutes variables in the form Grafana sends them', () => {
    expect(substitute('rate(x{job=~"$job"}[$__rate_interval]) ${instance} [[job]]', { job: 'a', instance: 'b', __rate_interval: '1m' })).toBe(
      'rate(x{job=~"a"}[1m]) b a',
    );
    expect(substitute('$unknown', {})).toBe('$unknown');
  });

  const skip = skipReason('promtool');
  it.skipIf(skip !== undefined)(`every panel query is valid PromQL once its variables are substituted${skip ? ` (${skip})` : ''}`, () => {
    // promtool has no offline query parser, but it parses every rule's expression: one recording
    // rule per panel query makes `promtool check rules` a PromQL syntax check.
    const queries = panelQueries(dashboard);
    const rules = {
      groups: [{ name: 'dashboard', rules: queries.map((q, i) => ({ record: `dashboard_query_${i}`, expr: substitute(q.expr, allValues) })) }],
    };
    const dir = mkdtempSync(join(tmpdir(), 'bw-dashboard-'));
    try {
      writeFileSync(join(dir, 'queries.yml'), stringify(rules));
      const out = execFileSync('promtool', ['check', 'rules', join(dir, 'queries.yml')], { encoding: 'utf8', stdio: 'pipe', timeout: 60_000 });
      expect(out).toContain(`SUCCESS: ${queries.length} rules found`);
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string };
      throw new Error(`a dashboard query does not parse:\n${e.stdout ?? ''}${e.stderr ?? ''}`, { cause: err });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Grafana provisioning', () => {
  it('provisions one default Prometheus data source and a file dashboard provider', () => {
    const ds = parse(readFileSync(join(root, 'grafana/provisioning/datasources/prometheus.yml'), 'utf8')) as {
      apiVersion: number;
      datasources: Array<Record<string, unknown>>;
    };
    expect(ds.apiVersion).toBe(1);
    expect(ds.datasources).toHaveLength(1);
    expect(ds.datasources[0]).toMatchObject({ type: 'prometheus', access: 'proxy', isDefault: true });
    const provider = parse(readFileSync(join(root, 'grafana/provisioning/dashboards/breakwater.yml'), 'utf8')) as {
      apiVersion: number;
      providers: Array<{ type: string; options: { path: string } }>;
    };
    expect(provider.apiVersion).toBe(1);
    expect(provider.providers[0]).toMatchObject({ type: 'file' });
  });

  it('ships a dashboard with a stable uid (the README URL uses it)', () => {
    expect(dashboard.uid).toBe('breakwater');
    expect(readFileSync(join(root, 'docker-compose.yml'), 'utf8')).toContain('http://localhost:3000/d/breakwater');
  });
});

describe('README "See it in Grafana"', () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('<!-- section:grafana -->'), readme.indexOf('<!-- /section:grafana -->'));

  it('gives the compose command and the one URL', () => {
    expect(section).toContain('## See it in Grafana');
    expect(section).toContain('docker compose up --build');
    expect(section).toContain(`http://localhost:3000/d/${dashboard.uid}`);
  });

  it('describes every panel of the dashboard and every alert of the rules', () => {
    for (const p of dataPanels(dashboard)) {
      // Stat panels are described in groups ("Calls / s, Rejected / s, Failure ratio").
      expect(section, p.title).toContain(p.title);
    }
    const rules = parse(readFileSync(join(root, 'prometheus/breakwater.rules.yml'), 'utf8')) as { groups: Array<{ rules: Array<{ alert?: string }> }> };
    for (const r of rules.groups.flatMap((g) => g.rules)) if (r.alert) expect(section, r.alert).toContain(`\`${r.alert}\``);
  });
});
