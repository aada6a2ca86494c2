import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { skipReason } from './binaries.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const rulesFile = join(root, 'prometheus/breakwater.rules.yml');
const rulesTestFile = join(root, 'prometheus/breakwater.rules.test.yml');
const skip = skipReason('promtool');

function promtool(...args: string[]): string {
  try {
    return execFileSync('promtool', args, { cwd: root, encoding: 'utf8', timeout: 60_000, stdio: 'pipe' });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`promtool ${args.join(' ')} failed:\n${e.stdout ?? ''}${e.stderr ?? e.message}`, { cause: err });
  }
}

interface Rule {
  record?: string;
  alert?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
const rules = (parse(readFileSync(rulesFile, 'utf8')) as { groups: Array<{ name: string; rules: Rule[] }> }).groups.flatMap(
  (g) => g.rules,
);

describe.skipIf(skip !== undefined)(`promtool on prometheus.yml and the rules${skip ? ` (${skip})` : ''}`, () => {
  it('check config: prometheus.yml is valid and its rule files load', () => {
    const out = promtool('check', 'config', 'prometheus.yml');
    expect(out).toContain('SUCCESS');
    expect(out).toMatch(/1 rule files found/);
  });

  it('check rules: every recording rule and alert parses', () => {
    const out = promtool('check', 'rules', rulesFile);
    expect(out).toContain(`SUCCESS: ${rules.length} rules found`);
  });

  it('test rules: the unit tests of every alert and recording rule pass', () => {
    expect(promtool('test', 'rules', rulesTestFile)).toContain('SUCCESS');
  });

  it('test rules fails when an alert misbehaves (the unit tests can fail)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bw-rules-'));
    try {
      // Same tests against a rules file whose health-score threshold is off by one step.
      writeFileSync(join(dir, 'breakwater.rules.yml'), readFileSync(rulesFile, 'utf8').replace('health_check_score < 60', 'health_check_score <= 60'));
      writeFileSync(join(dir, 'breakwater.rules.test.yml'), readFileSync(rulesTestFile, 'utf8'));
      expect(() => promtool('test', 'rules', join(dir, 'breakwater.rules.test.yml'))).toThrow(/HealthScoreLow/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the rules file', () => {
  const alerts = rules.filter((r) => r.alert).map((r) => r.alert as string);

  it('has the four alerts the stack promises, each with a severity and a summary', () => {
    expect(alerts.sort()).toEqual(['CircuitBreakerFlapping', 'CircuitBreakerOpen', 'CriticalHealthCheckUnhealthy', 'HealthScoreLow']);
    for (const r of rules.filter((x) => x.alert)) {
      expect(r.labels?.severity, r.alert).toMatch(/^(warning|critical)$/);
      expect(r.annotations?.summary, r.alert).toBeTruthy();
      expect(r.annotations?.description, r.alert).toBeTruthy();
    }
  });

  it('has a promtool unit test for every alert and every recording rule', () => {
    const tests = (parse(readFileSync(rulesTestFile, 'utf8')) as {
      tests: Array<{ alert_rule_test?: Array<{ alertname: string; exp_alerts: unknown[] }>; promql_expr_test?: Array<{ expr: string }> }>;
    }).tests;
    const firing = new Set(tests.flatMap((t) => (t.alert_rule_test ?? []).filter((a) => a.exp_alerts.length > 0).map((a) => a.alertname)));
    const quiet = new Set(tests.flatMap((t) => (t.alert_rule_test ?? []).filter((a) => a.exp_alerts.length === 0).map((a) => a.alertname)));
    const recorded = new Set(tests.flatMap((t) => (t.promql_expr_test ?? []).map((e) => e.expr)));
    for (const a of alerts) {
      expect(firing.has(a), `${a} has a test where it fires`).toBe(true);
      expect(quiet.has(a), `${a} has a test where it stays quiet`).toBe(true);
    }
    for (const r of rules.filter((x) => x.record)) expect(recorded.has(r.record as string), `${r.record} is tested`).toBe(true);
  });

  it('uses only breakwater metric names from DESIGN.md', () => {
    const known = [
      'circuit_breaker_calls_total',
      'circuit_breaker_rejections_total',
      'circuit_breaker_transitions_total',
      'circuit_breaker_state',
      'health_check_score',
      'health_check_status',
      'health_check_duration',
      'health_check_heals_total',
    ];
    const labels = [
      'circuit_breaker_name',
      'circuit_breaker_outcome',
      'circuit_breaker_transition_from',
      'circuit_breaker_transition_to',
      'health_check_name',
      'health_check_component_type',
      'health_check_heal_outcome',
    ];
    for (const r of rules) {
      const names = [...r.expr.matchAll(/\b(circuit_breaker_\w+|health_\w+)\b/g)].map((m) => m[1]).filter((n) => !labels.includes(n));
      expect(names.length, r.alert ?? r.record).toBeGreaterThan(0);
      for (const n of names) expect(known, `${r.alert ?? r.record} uses ${n}`).toContain(n);
    }
  });
});
