import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, repo } from './child.js';

beforeAll(() => ensureBuilt());

/** Every module (file or builtin) that importing `specifier` loads, in a fresh process from the repo root. */
function loadedBy(specifier: string): string[] {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', `
    import { registerHooks } from 'node:module';
    const loaded = [];
    registerHooks({ load(url, context, nextLoad) { loaded.push(url); return nextLoad(url, context); } });
    await import(${JSON.stringify(specifier)});
    console.log(JSON.stringify(loaded));`], { cwd: repo, encoding: 'utf8', timeout: 15_000 });
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout) as string[];
}

// Issue 11: `import { CircuitBreaker } from 'breakwater'` must cost no more than cockatiel's import
// (figures in bench/README.md). What keeps it there: the entry loads only its own code, in a few
// bundled files (Node pays more per module loaded than for the code in it).
describe('what importing an entry loads', () => {
  it("import('breakwater') loads a few bundled files of breakwater's own: no other package, no builtin", () => {
    const loaded = loadedBy('breakwater');
    expect(loaded[0]).toBe(`file://${repo}dist/esm/index.js`);
    expect(loaded.filter((url) => !url.startsWith(`file://${repo}dist/esm/`))).toEqual([]);
    expect(loaded.length).toBeLessThanOrEqual(4);
  });

  it("import('breakwater/instrumentation') is where @opentelemetry/instrumentation is loaded", () => {
    const loaded = loadedBy('breakwater/instrumentation');
    expect(loaded.some((url) => url.includes('/node_modules/@opentelemetry/instrumentation/'))).toBe(true);
    expect(loaded.some((url) => url.includes('/node_modules/require-in-the-middle/'))).toBe(true);
  });
});

describe("BreakwaterInstrumentation from 'breakwater' (the public API's name), still light", () => {
  it('is the real class on first use: new, instanceof, extends, require, inside a NodeSDK', () => {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', `
      import { registerHooks, createRequire } from 'node:module';
      let instrumentationLoaded = false;
      registerHooks({ load(url, context, nextLoad) { if (url.includes('/@opentelemetry/instrumentation/')) instrumentationLoaded = true; return nextLoad(url, context); } });
      const { BreakwaterInstrumentation, CircuitBreaker } = await import('breakwater');
      new CircuitBreaker({ name: 'db' });
      const before = instrumentationLoaded;
      const { BreakwaterInstrumentation: Real } = await import('breakwater/instrumentation');
      const { NodeSDK } = await import('@opentelemetry/sdk-node');
      const inst = new BreakwaterInstrumentation({ instrument: ['fetch'] });
      class Mine extends BreakwaterInstrumentation {}
      const sdk = new NodeSDK({ instrumentations: [inst], metricReaders: [], spanProcessors: [], logRecordProcessors: [] });
      sdk.start();
      const out = [before, inst instanceof Real, inst instanceof BreakwaterInstrumentation, new Mine({ enabled: false, instrument: ['grpc'] }) instanceof Real,
        createRequire(import.meta.url)('breakwater').BreakwaterInstrumentation === BreakwaterInstrumentation, inst.getConfig().instrument.join()];
      await sdk.shutdown();
      console.log(JSON.stringify(out));`], { cwd: repo, encoding: 'utf8', timeout: 30_000, env: { ...process.env, OTEL_METRICS_EXPORTER: 'none', OTEL_TRACES_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' } });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual([false, true, true, true, true, 'fetch']);
  });
});
