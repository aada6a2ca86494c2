import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { HealthCheckManager } from '../../src/health/manager.js';
import { codeBlocks, expectedLines, onSources, printedBy, readmeSection, REPO_ROOT } from '../readme-blocks.js';

// Runs every js example of README's `health` section against the sources, on loopback and
// ephemeral ports: what it prints must be its `// → text` comments, in order and exactly. The two
// JSON samples of `GET /health` are checked against what the endpoint really answers.
const root = REPO_ROOT;
const section = readmeSection('health');
const blocks = codeBlocks(section, ['js', 'yaml']);
const tmp = `${root}test/health/.readme-${process.pid}/`;

function runnable(code: string): string {
  return onSources(code)
    .replaceAll('{ port: 8081 }', "{ port: 0, host: '127.0.0.1' }")
    .replaceAll('{ port: 9464 }', "{ port: 0, host: '127.0.0.1' }")
    .replaceAll('app.listen(8081)', "app.listen(0, '127.0.0.1')")
    .replaceAll("'0.0.0.0:50051'", "'127.0.0.1:0'");
}

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('README health examples', () => {
  it('has examples', () => {
    expect(blocks.filter((b) => b.lang === 'js').length).toBeGreaterThanOrEqual(5);
  });

  for (const [i, block] of blocks.entries()) {
    const title = block.code.split('\n').find((l) => l.startsWith('import {') || l.includes(':')) ?? '';
    it(`example ${i + 1} runs (${title.slice(0, 60)})`, async () => {
      if (block.lang === 'yaml') {
        const probes = parse(block.code);
        expect(probes.livenessProbe.httpGet.path).toBe('/livez');
        expect(probes.readinessProbe.httpGet.path).toBe('/readyz');
        expect(probes.startupProbe.httpGet.path).toBe('/startupz');
        return;
      }
      mkdirSync(tmp, { recursive: true });
      const file = `${tmp}example-${i + 1}.mjs`;
      writeFileSync(file, runnable(block.code));
      const printed = await printedBy(file);
      expect(printed).toEqual(expectedLines(block.code));
    });
  }
});

type Shape = string | Shape[] | { [key: string]: Shape };

/** Keys and value types, recursively: what a client parsing the JSON relies on. */
function shapeOf(value: unknown): Shape {
  if (value === null) return 'null';
  if (Array.isArray(value)) {
    const shapes = value.map(shapeOf);
    const distinct = [...new Map(shapes.map((s) => [JSON.stringify(s), s])).values()];
    return distinct;
  }
  if (typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, shapeOf((value as Record<string, unknown>)[k])]));
  }
  return typeof value;
}

describe('README health JSON samples match the real endpoint', () => {
  const samples = codeBlocks(section, ['json']).map((b) => JSON.parse(b.code) as Record<string, unknown>);

  /** The manager of the README's first example, in the state its samples describe. */
  async function readmeManager(): Promise<{ health: HealthCheckManager; base: string }> {
    const health = new HealthCheckManager({ checkIntervalMs: 60_000 });
    health.register({ name: 'database', componentType: 'database', critical: true, check: async () => true });
    health.register({
      name: 'search',
      weight: 0.5,
      check: async () => ({ status: 'degraded', message: 'replica lag 3 s', details: { lag_seconds: 3 } }),
    });
    await health.start();
    const server = await health.serve({ port: 0, host: '127.0.0.1' });
    return { health, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
  }

  it('has the two samples', () => {
    expect(samples).toHaveLength(2);
  });

  it('GET /health: same keys and value types, and the same values where they do not depend on time', async () => {
    const { health, base } = await readmeManager();
    try {
      const res = await fetch(`${base}/health`);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      const real = (await res.json()) as Record<string, unknown>;
      const sample = samples[0]!;
      expect(shapeOf(real)).toEqual(shapeOf(sample));
      for (const key of ['overall_status', 'health_score', 'degraded_components', 'unhealthy_components']) {
        expect(real[key], key).toEqual(sample[key]);
      }
      const strip = (components: unknown) =>
        Object.fromEntries(
          Object.entries(components as Record<string, Record<string, unknown>>).map(([k, { duration_ms: _d, ...rest }]) => [k, rest]),
        );
      expect(strip(real.components)).toEqual(strip(sample.components));
    } finally {
      await health.stop();
    }
  });

  it('GET /health as application/health+json: same keys and value types, and the same values where they do not depend on time', async () => {
    const { health, base } = await readmeManager();
    try {
      const res = await fetch(`${base}/health`, { headers: { accept: 'application/health+json' } });
      expect(res.headers.get('content-type')).toMatch(/^application\/health\+json/);
      const real = (await res.json()) as Record<string, unknown>;
      const sample = samples[1]!;
      expect(shapeOf(real)).toEqual(shapeOf(sample));
      expect(real.status).toBe(sample.status);
      expect(real.output).toBe(sample.output);
      const strip = (checks: unknown) =>
        Object.fromEntries(
          Object.entries(checks as Record<string, Record<string, unknown>[]>).map(([k, list]) => [
            k,
            list.map(({ observedValue: _v, time: _t, ...rest }) => rest),
          ]),
        );
      expect(strip(real.checks)).toEqual(strip(sample.checks));
    } finally {
      await health.stop();
    }
  });
});
