// Health checks: how long a round of slow checks takes (they run concurrently), what the manager
// costs per check, and /health latency under loopback load (autocannon). Run with
// `npm run bench -- health`. Figures are medians of several rounds on a shared machine.
import autocannon from 'autocannon';
import { setTimeout as sleep } from 'node:timers/promises';
import { HealthCheckManager, systemCheck } from '../dist/esm/index.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const LOAD_SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 5);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (start) => Number(process.hrtime.bigint() - start) / 1e6;

async function timeRounds(fn, rounds) {
  for (let i = 0; i < 2; i++) await fn(); // warm-up
  const times = [];
  for (let i = 0; i < rounds; i++) {
    const start = process.hrtime.bigint();
    await fn();
    times.push(ms(start));
  }
  return { median: median(times), min: Math.min(...times), max: Math.max(...times) };
}

// 1. 100 checks that each take 50 ms: concurrent, so one round is ~50 ms, not 5 s.
const slow = new HealthCheckManager({ checkIntervalMs: 60_000 });
for (let i = 0; i < 100; i++) slow.register({ name: `slow-${i}`, check: () => sleep(50, true) });
const round = await timeRounds(() => slow.runAll(), ROUNDS);
const roundOk = round.median <= 70;
console.log(`100 checks x 50 ms, one runAll() round: median ${round.median.toFixed(1)} ms (min ${round.min.toFixed(1)}, max ${round.max.toFixed(1)}) — goal <= 70 ms: ${roundOk ? 'met' : 'MISSED'}`);

// 2. Overhead per check: 10 000 trivial checks, against awaiting the same functions bare.
const N = 10_000;
const trivial = () => true;
const many = new HealthCheckManager({ checkIntervalMs: 60_000 });
for (let i = 0; i < N; i++) many.register({ name: `c${i}`, check: trivial });
const bare = await timeRounds(() => Promise.all(Array.from({ length: N }, () => Promise.resolve(trivial()))), ROUNDS);
const managed = await timeRounds(() => many.runAll(), ROUNDS);
const perCheckUs = ((managed.median - bare.median) * 1_000) / N;
console.log(`${N} trivial checks, one runAll() round: median ${managed.median.toFixed(1)} ms (bare Promise.all: ${bare.median.toFixed(1)} ms) — manager overhead ${perCheckUs.toFixed(2)} µs per check (timeout timer, result, score, report)`);
const reportTime = await timeRounds(async () => many.report(), ROUNDS);
console.log(`report() of ${N} checks: median ${reportTime.median.toFixed(1)} ms`);

// 3. /health under loopback load: 20 checks incl. the system check, as a service would have.
const served = new HealthCheckManager({ checkIntervalMs: 10_000 });
served.register(systemCheck());
for (let i = 0; i < 19; i++) served.register({ name: `dep-${i}`, componentType: 'database', check: () => ({ status: i === 3 ? 'degraded' : 'healthy', message: 'ok' }) });
await served.start();
const server = await served.serve({ port: 0, host: '127.0.0.1' });
const url = `http://127.0.0.1:${server.address().port}`;
for (const [label, path, headers] of [
  ['GET /health', '/health', {}],
  ['GET /health (application/health+json)', '/health', { accept: 'application/health+json' }],
  ['GET /readyz', '/readyz', {}],
]) {
  const result = await autocannon({ url: url + path, headers, connections: 10, duration: path === '/health' && !headers.accept ? LOAD_SECONDS : 2 });
  const errors = result.errors + result.non2xx;
  console.log(`${label}, 10 connections, ${result.duration} s: mean ${result.latency.average.toFixed(2)} ms, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, ${Math.round(result.requests.average)} req/s${errors ? `, ${errors} errors` : ''}`);
}
await served.stop();
await slow.stop();
await many.stop();
process.exit(roundOk ? 0 : 1);
