// Global fetch and undici client cost of breakwater: loopback keep-alive throughput with and without
// it, and the cost of a request rejected by an open breaker. Run with `npm run bench -- fetch`.
//
// The server runs in a child process so this process measures the client side only. Every round
// runs all setups back to back in a rotating order (breakwater switched with enable()/disable()), so
// a burst of noise on the shared machine hits every setup alike; figures are medians of rounds.
import * as undici from 'undici';
import * as breakwater from '../dist/esm/index.js';
import { loopbackHeading, median, startLoopbackServer, throughput as sample, throughputRow } from './lib.mjs';

const BreakwaterInstrumentation =
  breakwater.BreakwaterInstrumentation ??
  (await import('../dist/esm/instrumentation/instrumentation.js')).BreakwaterInstrumentation;

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const REQUESTS = Number(process.env.BENCH_FETCH_REQUESTS ?? 2_000);
const CONCURRENCY = 16;
const WARMUP = Math.max(CONCURRENCY, Math.round(REQUESTS / 8));
const REJECTIONS = Number(process.env.BENCH_REJECTIONS ?? 18_000);

const server = await startLoopbackServer();
const { port, url } = server;

const bw = new BreakwaterInstrumentation({ instrument: ['fetch'], enabled: false });
const legacySlot = Symbol.for('undici.globalDispatcher.1');
void globalThis.Headers; // Node's bundled dispatcher exists before the first enable()
const plainDispatcher = globalThis[legacySlot];
bw.enable();
if (globalThis[legacySlot] === plainDispatcher) throw new Error('breakwater did not protect the global dispatcher');
bw.disable();
if (globalThis[legacySlot] !== plainDispatcher) throw new Error('breakwater did not restore the global dispatcher');

const clients = {
  'global fetch': async () => {
    const res = await fetch(url);
    await res.arrayBuffer();
  },
  'undici.request': async () => {
    const res = await undici.request(url);
    await res.body.dump();
  },
};

const throughput = (one, total) => sample(one, total, CONCURRENCY);

// µs per rejected call, from the call until its promise rejects, in batches of 200 as an
// application under load would; the server must not see a single new connection meanwhile.
async function rejectionCost(call, total) {
  const batch = 200;
  const start = process.hrtime.bigint();
  for (let done = 0; done < total; done += batch) {
    await Promise.all(Array.from({ length: batch }, () => call().then(() => { throw new Error('not rejected'); }, (err) => err)));
  }
  return Number(process.hrtime.bigint() - start) / 1e3 / total;
}

const setups = [];
for (const client of Object.keys(clients)) {
  setups.push({ name: `${client}, plain`, client, bw: false });
  setups.push({ name: `${client}, breakwater`, client, bw: true });
}
const use = (setup) => (setup.bw ? bw.enable() : bw.disable());

// Warm-up: JIT and pooled connections for every setup.
for (const setup of setups) {
  use(setup);
  await throughput(clients[setup.client], REQUESTS / 2);
}

// The order changes every round (rotated, and reversed every other round), so no setup always
// follows the same one: a sample can pay part of the cost of the one before it (its garbage, the
// other client's code going cold), which a fixed order would charge to the same setup every round.
// After each switch an unmeasured warm-up runs first, so a sample measures the setup, not the switch.
const samples = Object.fromEntries(setups.map((s) => [s.name, []]));
for (let round = 0; round < ROUNDS; round++) {
  const order = setups.map((_, i) => setups[(round + i) % setups.length]);
  if (round % 2 === 1) order.reverse();
  for (const setup of order) {
    use(setup);
    await throughput(clients[setup.client], WARMUP);
    samples[setup.name].push(await throughput(clients[setup.client], REQUESTS));
  }
}

// Rejections: the destination's breaker forced open.
bw.enable();
const breaker = bw.registry.get(`127.0.0.1:${port}`);
breaker.forceOpen();
const rejections = {
  'global fetch': () => fetch(url),
  'undici.request': () => undici.request(url),
};
const rejectionUs = {};
const rejectedBefore = breaker.metrics.rejectedCalls;
for (const [name, call] of Object.entries(rejections)) {
  await rejectionCost(call, 2_000); // warm-up
  const xs = [];
  for (let round = 0; round < 9; round++) xs.push(await rejectionCost(call, REJECTIONS / 9));
  rejectionUs[name] = median(xs);
}
const rejectedCount = breaker.metrics.rejectedCalls - rejectedBefore;
bw.disable();

// What global fetch itself costs before any I/O (a data: URL never reaches a dispatcher): the floor
// under a rejected fetch, which breakwater answers at the dispatcher, after fetch's own setup.
const settleAll = (call) => () => call().then(() => Promise.reject(new Error('settled')));
await rejectionCost(settleAll(() => fetch('data:,x')), 2_000);
const floor = [];
for (let round = 0; round < 9; round++) floor.push(await rejectionCost(settleAll(() => fetch('data:,x')), REJECTIONS / 9));
const fetchFloorUs = median(floor);

// The patch's own cost, without I/O: a dispatcher that answers 200 synchronously, called directly
// and through breakwater's protected view of it (breaker lookup, permit, outcome), with a handler of
// each contract: undici's current one (undici.request) and the legacy one Node's global fetch uses.
// Stable where the loopback figures above are at the mercy of the machine's other tenants.
const inMemory = {
  dispatch(_opts, handler) {
    if (typeof handler.onRequestStart === 'function') {
      handler.onRequestStart({ abort() {}, pause() {}, resume() {}, aborted: false, paused: false }, {});
      handler.onResponseStart(null, 200, {}, 'OK');
      handler.onResponseEnd(null, {});
    } else {
      handler.onConnect(() => {});
      handler.onHeaders(200, [], () => {}, 'OK');
      handler.onComplete([]);
    }
    return true;
  },
};
const sinks = {
  current: { onRequestStart() {}, onResponseStart() {}, onResponseData() {}, onResponseEnd() {}, onResponseError() {} },
  legacy: { onConnect() {}, onHeaders() { return true; }, onData() { return true; }, onComplete() {}, onError() {} },
};
const dispatchOpts = { origin: url.slice(0, -1), path: '/', method: 'GET' };
const dispatchNs = (dispatcher, sink, n) => {
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) dispatcher.dispatch(dispatchOpts, sink);
  return Number(process.hrtime.bigint() - start) / n;
};
breaker.reset();
undici.setGlobalDispatcher(inMemory);
bw.enable();
const protectedView = undici.getGlobalDispatcher();
if (protectedView === inMemory) throw new Error('breakwater did not protect the in-memory dispatcher');
const direct = { current: [], legacy: [] };
const viaView = { current: [], legacy: [] };
for (let round = 0; round < 14; round++) {
  for (const [contract, sink] of Object.entries(sinks)) {
    const d = dispatchNs(inMemory, sink, 200_000);
    const v = dispatchNs(protectedView, sink, 200_000);
    if (round >= 5) {
      direct[contract].push(d);
      viaView[contract].push(v);
    }
  }
}
bw.disable();

const med = (name, field) => median(samples[name].map((s) => s[field]));
const rows = [];
for (const client of Object.keys(clients)) {
  const base = `${client}, plain`;
  for (const name of [base, `${client}, breakwater`]) {
    rows.push(throughputRow(samples, name, name, base, 'plain'));
  }
}
console.log(loopbackHeading({ concurrency: CONCURRENCY, requests: REQUESTS, rounds: ROUNDS, warmup: WARMUP }));
console.table(rows);
for (const [name, us] of Object.entries(rejectionUs)) {
  console.log(`rejected ${name} (breaker open): ${us.toFixed(2)} µs per call until its promise rejects (median of 9 x ${Math.round(REJECTIONS / 9)})`);
}
console.log(`plain global fetch of a data: URL (fetch's own cost, no dispatcher, no I/O): ${fetchFloorUs.toFixed(2)} µs per call`);
console.log(`rejections counted by the breaker: ${rejectedCount} (expected ${2 * (2_000 + 9 * Math.round(REJECTIONS / 9))})`);
for (const contract of Object.keys(sinks)) {
  console.log(
    `protected dispatch without I/O, ${contract} handler: ${(median(viaView[contract]) - median(direct[contract])).toFixed(0)} ns added per request ` +
      `(${median(direct[contract]).toFixed(0)} ns direct, ${median(viaView[contract]).toFixed(0)} ns through breakwater; median of 9 x 200000)`,
  );
}
for (const client of Object.keys(clients)) {
  const ratio = med(`${client}, breakwater`, 'rps') / med(`${client}, plain`, 'rps');
  console.log(`${client}: throughput >= 0.97x plain: ${ratio >= 0.97 ? 'met' : 'NOT met'} (${ratio.toFixed(3)})`);
}

undici.setGlobalDispatcher(plainDispatcher);
await plainDispatcher.close?.().catch(() => {});
server.stop();
