// Breaker hot path and footprint, side by side with opossum and cockatiel (same process, same run).
// Run with `npm run bench -- breaker` (run.mjs passes --expose-gc). Figures are medians of several
// interleaved rounds, so a burst of noise on the shared machine hits every contender alike.
import { cpus, loadavg } from 'node:os';
import { BreakerRegistry, CircuitBreaker } from '../dist/esm/index.js';
import OpossumBreaker from 'opossum';
import { ConsecutiveBreaker, circuitBreaker as cockatielBreaker, handleAll } from 'cockatiel';
import { median, rotated } from './lib.mjs';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
const SUCCESS_OPS = Number(process.env.BENCH_OPS ?? 300_000);
const REJECT_OPS = Math.round(SUCCESS_OPS / 3);
const FOOTPRINT_COUNT = 10_000;

const work = async () => 1;
const noop = () => {};

// Success path: one breaker per library, default options (opossum's per-call timeout included, as
// its users get it).
const bw = new CircuitBreaker({ name: 'bench' });
const op = new OpossumBreaker(work, {});
const ck = cockatielBreaker(handleAll, { halfOpenAfter: 10_000, breaker: new ConsecutiveBreaker(5) });

// Rejection path: one breaker per library, forced open / isolated.
const bwOpen = new CircuitBreaker({ name: 'bench-open' });
bwOpen.forceOpen();
const opOpen = new OpossumBreaker(work, {});
opOpen.open();
const ckOpen = cockatielBreaker(handleAll, { halfOpenAfter: 10_000, breaker: new ConsecutiveBreaker(5) });
const ckIsolation = ckOpen.isolate();

// The floor: the least any breaker can do around a call, written by hand (a state check, a counter
// and a consecutive-failure count around `await fn()`, no options, no telemetry, no events).
const floor = { open: false, calls: 0, failures: 0 };
function floorCall(fn) {
  if (floor.open) return Promise.reject(new Error('open'));
  floor.calls++;
  return fn().then(
    (v) => {
      floor.failures = 0;
      return v;
    },
    (err) => {
      if (++floor.failures >= 5) floor.open = true;
      throw err;
    },
  );
}

const cases = {
  'bare await fn()': async (n) => {
    for (let i = 0; i < n; i++) await work();
  },
  'hand-made floor': async (n) => {
    for (let i = 0; i < n; i++) await floorCall(work);
  },
  'breakwater execute()': async (n) => {
    for (let i = 0; i < n; i++) await bw.execute(work);
  },
  'opossum fire()': async (n) => {
    for (let i = 0; i < n; i++) await op.fire();
  },
  'cockatiel execute()': async (n) => {
    for (let i = 0; i < n; i++) await ck.execute(work);
  },
  'breakwater rejection': async (n) => {
    for (let i = 0; i < n; i++) await bwOpen.execute(work).catch(noop);
  },
  'opossum rejection': async (n) => {
    for (let i = 0; i < n; i++) await opOpen.fire().catch(noop);
  },
  'cockatiel rejection': async (n) => {
    for (let i = 0; i < n; i++) await ckOpen.execute(work).catch(noop);
  },
};

async function measure(run, n) {
  // Collect, and let the event loop turn, before timing: a case that yields to the event loop (an
  // open breakwater breaker does, past 128 rejections a turn) would otherwise run the previous
  // case's deferred GC and V8 housekeeping tasks on its own clock.
  globalThis.gc?.();
  await new Promise((resolve) => setTimeout(resolve, 5));
  const start = process.hrtime.bigint();
  await run(n);
  return Number(process.hrtime.bigint() - start) / n;
}

// Warm up every case so each is optimised before the first measured round.
for (const [name, run] of Object.entries(cases)) await run(name.includes('rejection') ? 20_000 : 50_000);

const samples = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
for (let round = 0; round < ROUNDS; round++) {
  // Rotate the order each round so no case always runs first (or right after a GC-heavy one).
  const names = Object.keys(cases);
  const order = rotated(names, round);
  for (const name of order) {
    samples[name].push(await measure(cases[name], name.includes('rejection') ? REJECT_OPS : SUCCESS_OPS));
  }
}
const ns = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));

const bare = ns['bare await fn()'];
const over = (k) => ns[k] - bare;
const fmt = (x) => x.toFixed(0).padStart(7);
const rows = [];
rows.push(['case', 'ns/op (median)', 'overhead over bare', 'vs cockatiel']);
for (const k of ['bare await fn()', 'hand-made floor', 'breakwater execute()', 'opossum fire()', 'cockatiel execute()']) {
  rows.push([k, fmt(ns[k]), k === 'bare await fn()' ? '' : fmt(over(k)), k === 'bare await fn()' ? '' : (over(k) / over('cockatiel execute()')).toFixed(2) + 'x']);
}
for (const k of ['breakwater rejection', 'opossum rejection', 'cockatiel rejection']) {
  rows.push([k, fmt(ns[k]), '', (ns[k] / ns['cockatiel rejection']).toFixed(2) + 'x']);
}

// Footprint: heap per breaker for 10,000 idle breakers, and timers they hold.
function heapUsed() {
  for (let i = 0; i < 4; i++) globalThis.gc?.();
  return process.memoryUsage().heapUsed;
}
const activeTimers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

async function footprint(label, make) {
  const timersBefore = activeTimers();
  const before = heapUsed();
  const kept = new Array(FOOTPRINT_COUNT);
  for (let i = 0; i < FOOTPRINT_COUNT; i++) kept[i] = await make(i);
  const after = heapUsed();
  const timers = activeTimers() - timersBefore;
  const perBreaker = (after - before) / FOOTPRINT_COUNT;
  return { label, perBreaker, timers, kept };
}

const prints = [];
let fp = await footprint('breakwater, fresh', (i) => new CircuitBreaker({ name: `dest-${i}:443` }));
prints.push(fp);
fp = await footprint('breakwater, after 1 success + 1 failure', async (i) => {
  const b = new CircuitBreaker({ name: `dest-${i}:443` });
  await b.execute(work);
  await b.execute(() => Promise.reject(new Error('x'))).catch(noop);
  return b;
});
prints.push(fp);
fp = await footprint('breakwater, failure-rate window 100, used', async (i) => {
  const b = new CircuitBreaker({ name: `dest-${i}:443`, failureRateThreshold: 50 });
  await b.execute(work);
  return b;
});
prints.push(fp);
const registry = new BreakerRegistry({ maxBreakers: FOOTPRINT_COUNT });
fp = await footprint('breakwater, registry.get() with server.* attributes, used', async (i) => {
  const b = registry.get(`dest-${i}:443`, { attributes: { 'server.address': `dest-${i}`, 'server.port': 443 } });
  await b.execute(work);
  return b;
});
prints.push(fp);
registry.clear();
fp = await footprint('opossum, fresh', (i) => new OpossumBreaker(work, { name: `dest-${i}:443` }));
prints.push(fp);
for (const o of fp.kept) o.shutdown();
fp = await footprint('cockatiel, fresh', () =>
  cockatielBreaker(handleAll, { halfOpenAfter: 10_000, breaker: new ConsecutiveBreaker(5) }),
);
prints.push(fp);
for (const p of prints) p.kept = undefined;

console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log(`breaker bench: ${ROUNDS} interleaved rounds, ${SUCCESS_OPS} success / ${REJECT_OPS} rejection ops per round, median`);
const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
for (const r of rows) console.log('| ' + r.map((cell, c) => String(cell).padEnd(widths[c])).join(' | ') + ' |');
console.log('');
console.log(`| footprint (${FOOTPRINT_COUNT} breakers) | heap bytes per breaker | timers held |`);
for (const p of prints) console.log(`| ${p.label} | ${p.perBreaker.toFixed(0)} | ${p.timers} |`);
console.log('');
const ratio = over('breakwater execute()') / over('cockatiel execute()');
console.log(`breakwater success overhead: ${over('breakwater execute()').toFixed(0)} ns = ${ratio.toFixed(2)}x cockatiel's (target <= 0.5x: ${ratio <= 0.5 ? 'met' : 'not met'}; <= 25 ns over bare: ${over('breakwater execute()') <= 25 ? 'met' : 'not met'}); ${(ns['breakwater execute()'] - ns['hand-made floor']).toFixed(0)} ns over the hand-made floor`);
console.log(`breakwater rejection: ${ns['breakwater rejection'].toFixed(0)} ns (target < 1000 ns)`);

ckIsolation.dispose();
op.shutdown();
opOpen.shutdown();
