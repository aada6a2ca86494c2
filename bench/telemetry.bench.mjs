// What OTel telemetry costs a call: execute() on a breaker whose registry is reported through a
// live MeterProvider and reader (metrics only, then with the default span and log events) versus
// the same breaker with no telemetry at all. A reader collects before every measured round, the
// baseline's too (it collects the metrics-only reader): a round lasts 30 to 80 ms, so the garbage
// and cache misses of a scrape fall on every side alike instead of charging the live cases a scrape
// per 30 ms that a real 15 s interval spreads over 500 times more calls. Collection itself runs per
// scrape, not per call, and is measured on its own below for a full registry of 250 breakers.
// Rounds are interleaved and rotated; the difference is the median of per-round ratios, which
// cancels most of the drift of a shared machine. Target: metrics alone within 3 %.
// Run with `npm run bench -- telemetry`.
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { BreakerRegistry } from '../dist/esm/index.js';
import { BreakwaterInstrumentation } from '../dist/esm/instrumentation.js';
import { median, rotated } from './lib.mjs';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 21);
const OPS = Number(process.env.BENCH_OPS ?? 200_000);
const REJECT_OPS = Math.round(OPS / 3);
const OTHER_BREAKERS = 100;
const COLLECTION_SAMPLES = 50;

class Reader extends MetricReader {
  async onForceFlush() {}
  async onShutdown() {}
}

const work = async () => 1;
const noop = () => {};

function instrumented(config) {
  const reader = new Reader();
  const provider = new MeterProvider({ readers: [reader] });
  const inst = new BreakwaterInstrumentation({ instrument: [], ...config });
  inst.setMeterProvider(provider);
  for (let i = 0; i < OTHER_BREAKERS; i++) inst.registry.get(`other-${i}:443`);
  return { inst, reader, breaker: inst.registry.get('bench:443'), open: openBreaker(inst.registry) };
}

function openBreaker(registry) {
  const b = registry.get('bench-open:443');
  b.forceOpen();
  return b;
}

// The options the instrumentation gives its destination breakers (slow calls from 30 s), so that
// the difference is telemetry alone.
const plainRegistry = new BreakerRegistry({ defaults: { slowCallDurationMs: 30_000 } });
const plain = { breaker: plainRegistry.get('bench:443'), open: openBreaker(plainRegistry) };
const live = instrumented({ events: { spans: false, logs: false } });
const withEvents = instrumented({});

const histogram = instrumented({ durationHistogram: true });

let collected = 0;
async function collect(reader) {
  const { errors } = await reader.collect();
  if (errors.length) throw new AggregateError(errors);
  collected++;
}

const cases = {
  'execute(), no telemetry': { reader: live.reader, run: async (n) => {
    for (let i = 0; i < n; i++) await plain.breaker.execute(work);
  } },
  'execute(), metrics (events off)': { reader: live.reader, run: async (n) => {
    for (let i = 0; i < n; i++) await live.breaker.execute(work);
  } },
  'execute(), metrics + events (default)': { reader: withEvents.reader, run: async (n) => {
    for (let i = 0; i < n; i++) await withEvents.breaker.execute(work);
  } },
  'execute(), + durationHistogram': { reader: histogram.reader, run: async (n) => {
    for (let i = 0; i < n; i++) await histogram.breaker.execute(work);
  } },
  'rejection, no telemetry': { reader: live.reader, run: async (n) => {
    for (let i = 0; i < n; i++) await plain.open.execute(work).catch(noop);
  } },
  'rejection, metrics (events off)': { reader: live.reader, run: async (n) => {
    for (let i = 0; i < n; i++) await live.open.execute(work).catch(noop);
  } },
  'rejection, metrics + events (default)': { reader: withEvents.reader, run: async (n) => {
    for (let i = 0; i < n; i++) await withEvents.open.execute(work).catch(noop);
  } },
};

async function measure({ reader, run }, n) {
  await collect(reader);
  const start = process.hrtime.bigint();
  await run(n);
  return Number(process.hrtime.bigint() - start) / n;
}

for (const [name, { run }] of Object.entries(cases)) await run(name.startsWith('rejection') ? 20_000 : 50_000);
collected = 0;
const samples = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
for (let round = 0; round < ROUNDS; round++) {
  const names = Object.keys(cases);
  const order = rotated(names, round);
  for (const name of order) samples[name].push(await measure(cases[name], name.startsWith('rejection') ? REJECT_OPS : OPS));
}
const ns = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));

// Each round measures both sides within a few milliseconds of each other, so the per-round ratio
// cancels most of the machine's drift; its median is the reported difference.
const diff = (k, base) => {
  const ratios = samples[k].map((v, i) => v / samples[base][i]);
  return `${((median(ratios) - 1) * 100).toFixed(1)} %`;
};
const rows = [['case', 'ns/op (median)', 'vs no telemetry (median of per-round ratios)']];
for (const name of Object.keys(cases)) {
  const base = name.startsWith('rejection') ? 'rejection, no telemetry' : 'execute(), no telemetry';
  rows.push([name, ns[name].toFixed(0), name === base ? '' : diff(name, base)]);
}
console.log(`telemetry bench: ${ROUNDS} interleaved rounds, ${OPS} execute / ${REJECT_OPS} rejection ops per round, median; ` +
  `${OTHER_BREAKERS + 2} breakers reported, ${collected} collections (one before each round)`);
const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
for (const r of rows) console.log('| ' + r.map((cell, c) => String(cell).padEnd(widths[c])).join(' | ') + ' |');

// A collection on its own: 250 breakers with traffic, every series, as a scrape would.
const full = instrumented({});
for (const b of full.inst.registry) await b.execute(work).catch(noop);
for (let i = 0; full.inst.registry.size < 250; i++) await full.inst.registry.get(`more-${i}:443`).execute(work);
const collectionMs = [];
let series = 0;
for (let i = 0; i < COLLECTION_SAMPLES; i++) {
  const start = performance.now();
  const { resourceMetrics } = await full.reader.collect();
  collectionMs.push(performance.now() - start);
  if (i === 0) series = resourceMetrics.scopeMetrics.flatMap((sm) => sm.metrics).reduce((n, m) => n + m.dataPoints.length, 0);
}
const scrapeMs = median(collectionMs);
console.log(`one collection (a scrape) of ${full.inst.registry.size} breakers, ${series} series: ` +
  `${scrapeMs.toFixed(2)} ms (median of ${COLLECTION_SAMPLES}), ${((scrapeMs / 15_000) * 100).toFixed(3)} % of one core at a 15 s scrape interval`);
for (const x of [live, withEvents, histogram, full]) x.inst.disable();
