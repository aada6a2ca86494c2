// Per-request cost as a count: CPU instructions per request in the client process, counted by
// valgrind's callgrind (the count does not depend on what else the machine does). Run with
// `npm run bench -- cost`. Each setup runs in pairs of processes (bench/cost-client.mjs) that
// differ only in the number of requests after the same warm-up; the difference of their counts,
// divided by the difference of requests, is the cost of one warm request (start-up cancels).
// The loopback server runs in a process of its own, not under valgrind.
import { spawn, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLoopbackServer } from './lib.mjs';

const WARMUP = Number(process.env.BENCH_COST_WARMUP ?? 500);
const SHORT = Number(process.env.BENCH_COST_SHORT ?? 250);
const LONG = Number(process.env.BENCH_COST_LONG ?? 750);
const PAIRS = Number(process.env.BENCH_COST_PAIRS ?? 2);
// A process that takes longer than this under valgrind is stuck, not slow.
const PROCESS_TIMEOUT_MS = 180_000;
// Background compilation and GC threads would make the JIT's tiering depend on scheduling.
const NODE_FLAGS = ['--single-threaded', '--max-semi-space-size=16', '--predictable-gc-schedule'];
const CLIENT = fileURLToPath(new URL('./cost-client.mjs', import.meta.url));
const CLIENTS = (process.env.BENCH_COST_CLIENTS ?? 'http,fetch').split(',');
const SETUPS = ['plain', 'breakwater', 'otel', 'otel + breakwater'];
const OTEL_NAME = { http: '@opentelemetry/instrumentation-http', fetch: '@opentelemetry/instrumentation-undici' };
const TARGETS = { plain: 2, otel: 1.5 }; // % of the baseline's instructions breakwater may add

if (spawnSync('valgrind', ['--version']).status !== 0) {
  console.log('valgrind is not installed: the instruction-count bench is skipped');
  process.exit(0);
}

/** Instructions (callgrind's "I refs") of one client process making warmup + requests requests. */
function instructions(client, setup, url, requests, tag) {
  const out = join(tmpdir(), `breakwater-cost-${process.pid}-${tag}.out`);
  const args = ['--tool=callgrind', `--callgrind-out-file=${out}`, '--trace-children=no', process.execPath, ...NODE_FLAGS, CLIENT];
  args.push(JSON.stringify({ client, setup, url, warmup: WARMUP, requests }));
  return new Promise((resolve, reject) => {
    const child = spawn('valgrind', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), PROCESS_TIMEOUT_MS);
    child.on('exit', (code) => {
      clearTimeout(timer);
      rmSync(out, { force: true });
      const m = /I\s+refs:\s+([\d,]+)/.exec(stderr);
      if (code !== 0 || !m) reject(new Error(`${client} ${setup} (${requests} requests) failed (${code}):\n${stderr.slice(-2000)}`));
      else resolve(Number(m[1].replaceAll(',', '')));
    });
  });
}

const server = await startLoopbackServer();
const started = Date.now();
const perRequest = {}; // `${client} ${setup}` -> instructions per request, one per pair
for (const client of CLIENTS) {
  for (let pair = 0; pair < PAIRS; pair++) {
    // Setups interleaved pair by pair; the two processes of a pair run side by side (2 cores).
    for (const setup of SETUPS) {
      const tag = `${client}-${setup.replaceAll(/\W+/g, '_')}-${pair}`;
      const [short, long] = await Promise.all([
        instructions(client, setup, server.url, SHORT, `${tag}-s`),
        instructions(client, setup, server.url, LONG, `${tag}-l`),
      ]);
      (perRequest[`${client} ${setup}`] ??= []).push((long - short) / (LONG - SHORT));
    }
  }
}
server.stop();

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const spread = (xs) => Math.max(...xs) - Math.min(...xs);
const k = (n) => `${(n / 1e3).toFixed(1)}k`;
console.log(
  `instructions per request in the client process (callgrind), one keep-alive request at a time over loopback; ` +
    `per pair of processes: (Ir(${WARMUP}+${LONG}) - Ir(${WARMUP}+${SHORT})) / ${LONG - SHORT}; ` +
    `${PAIRS} pairs per setup; node ${NODE_FLAGS.join(' ')}; ${Math.round((Date.now() - started) / 1000)} s in all`,
);
for (const client of CLIENTS) {
  console.log(`\n${client === 'http' ? 'node:http' : 'global fetch'} (otel = ${OTEL_NAME[client]}, spans to a dropping exporter):`);
  console.table(
    SETUPS.map((setup) => {
      const xs = perRequest[`${client} ${setup}`];
      return { setup, 'per pair': xs.map(k).join(' '), mean: k(mean(xs)), spread: k(spread(xs)) };
    }),
  );
  for (const [baseline, target] of Object.entries(TARGETS)) {
    const setup = baseline === 'plain' ? 'breakwater' : 'otel + breakwater';
    const [a, b] = [perRequest[`${client} ${setup}`], perRequest[`${client} ${baseline}`]];
    const delta = mean(a) - mean(b);
    const noise = Math.max(spread(a), spread(b));
    const pct = (100 * delta) / mean(b);
    const verdict =
      PAIRS < 2
        ? 'one pair per setup: no spread, no verdict'
        : noise >= Math.abs(delta)
        ? `spread across processes (${k(noise)}) is not below the delta: no figure`
        : pct <= target
          ? 'met'
          : 'NOT met';
    console.log(
      `  ${setup} vs ${baseline}: ${delta >= 0 ? '+' : ''}${k(delta)} instructions per request ` +
        `(${pct >= 0 ? '+' : ''}${pct.toFixed(2)} %; target <= ${target} %): ${verdict}`,
    );
  }
}
