// Start-up cost of the zero-code preload: `node -e 0` bare, with breakwater/register and with
// @opentelemetry/auto-instrumentations-node/register, the three interleaved in rotated order for
// BENCH_ROUNDS rounds (wall time from spawn to exit), then one run each counting the modules
// loaded (bench/count-modules.cjs), a figure this noisy machine does not move.
// Run with `npm run bench -- startup`.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, quantile, rotated } from './lib.mjs';

const root = fileURLToPath(new URL('../', import.meta.url));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10);
const CASES = {
  'node -e 0': [],
  'breakwater/register': ['--import', 'breakwater/register'],
  'auto-instrumentations-node/register': ['--import', '@opentelemetry/auto-instrumentations-node/register'],
};
// The same exporters for both registers, on loopback; no cloud metadata look-ups.
const env = {
  PATH: process.env.PATH ?? '',
  HOME: process.env.HOME ?? '',
  OTEL_METRICS_EXPORTER: 'prometheus',
  OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
  OTEL_EXPORTER_PROMETHEUS_PORT: '19464',
  OTEL_TRACES_EXPORTER: 'none',
  OTEL_LOGS_EXPORTER: 'none',
  OTEL_NODE_RESOURCE_DETECTORS: 'env,host,os,process',
};

function run(args, extraEnv = {}) {
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [...args, '-e', '0'], { cwd: root, env: { ...env, ...extraEnv }, encoding: 'utf8', timeout: 30_000 });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0 || r.stderr) throw new Error(`node ${args.join(' ')} -e 0: status ${r.status}\n${r.stderr}`);
  return ms;
}

const names = Object.keys(CASES);
const times = Object.fromEntries(names.map((n) => [n, []]));
for (const name of names) run(CASES[name]); // warm the file system cache
for (let round = 0; round < ROUNDS; round++) {
  for (const name of rotated(names, round)) times[name].push(run(CASES[name]));
}

const dir = mkdtempSync(join(tmpdir(), 'breakwater-startup-'));
const modules = {};
for (const name of names) {
  const out = join(dir, `${names.indexOf(name)}.json`);
  run(['--require', fileURLToPath(new URL('count-modules.cjs', import.meta.url)), ...CASES[name]], { BENCH_MODULES_OUT: out });
  modules[name] = JSON.parse(readFileSync(out, 'utf8'));
}

console.log(`start-up: \`node <preload> -e 0\`, wall time from spawn to exit; ${ROUNDS} interleaved rounds; modules counted in a separate run`);
const bare = median(times['node -e 0']);
console.table(names.map((name) => ({
  case: name,
  'ms (median)': median(times[name]).toFixed(0),
  'middle half': `${quantile(times[name], 0.25).toFixed(0)}-${quantile(times[name], 0.75).toFixed(0)}`,
  'ms over bare': name === 'node -e 0' ? '' : (median(times[name]) - bare).toFixed(0),
  'module files': modules[name].files,
  builtins: modules[name].builtins,
  packages: modules[name].packages.length,
})));
if (process.env.BENCH_PACKAGES === '1') for (const name of names) console.log(name, modules[name].packages.join(' '));
