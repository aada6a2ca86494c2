// One setup of the fetch/undici bench (fetch.bench.mjs), in a process of its own: breakwater is
// enabled (or not) once, at start, as in an application, and never switched. Prints one JSON line.
//
//   node bench/fetch-client.mjs '{"setup":"global fetch, breakwater","url":"http://127.0.0.1:PORT/",...}'
import * as undici from 'undici';
import { median, throughput } from './lib.mjs';

const { setup, url, warmup, requests, samples, rejections } = JSON.parse(process.argv[2]);
const CONCURRENCY = 16;

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

const legacySlot = Symbol.for('undici.globalDispatcher.1');
void globalThis.Headers; // Node's bundled dispatcher exists before breakwater starts
const plainDispatcher = globalThis[legacySlot];
let bw;
if (setup.endsWith('breakwater') || setup === 'rejections and in-memory dispatch') {
  const { BreakwaterInstrumentation } = await import('../dist/esm/instrumentation.js');
  bw = new BreakwaterInstrumentation({ instrument: ['fetch'] });
  if (globalThis[legacySlot] === plainDispatcher) throw new Error('breakwater did not protect the global dispatcher');
}

if (setup !== 'rejections and in-memory dispatch') {
  const one = clients[setup.split(',')[0]];
  if (one === undefined) throw new Error(`unknown setup ${setup}`);
  await throughput(one, warmup, CONCURRENCY);
  const xs = [];
  for (let i = 0; i < samples; i++) xs.push(await throughput(one, requests, CONCURRENCY));
  console.log(JSON.stringify({ rps: median(xs.map((s) => s.rps)), cpuUs: median(xs.map((s) => s.cpuUs)) }));
  process.exit(0);
}

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

const breaker = bw.registry.get(new URL(url).host);
breaker.forceOpen();
const rejectionUs = {};
for (const [name, call] of Object.entries({ 'global fetch': () => fetch(url), 'undici.request': () => undici.request(url) })) {
  await rejectionCost(call, 2_000); // warm-up
  const xs = [];
  for (let round = 0; round < 9; round++) xs.push(await rejectionCost(call, rejections / 9));
  rejectionUs[name] = median(xs);
}
const rejected = breaker.metrics.rejectedCalls;

// What global fetch itself costs before any I/O (a data: URL never reaches a dispatcher): the floor
// under a rejected fetch, which breakwater answers at the dispatcher, after fetch's own setup.
const settleAll = (call) => () => call().then(() => Promise.reject(new Error('settled')));
await rejectionCost(settleAll(() => fetch('data:,x')), 2_000);
const floor = [];
for (let round = 0; round < 9; round++) floor.push(await rejectionCost(settleAll(() => fetch('data:,x')), rejections / 9));

// The patch's own cost, without I/O: a dispatcher that answers 200 synchronously, called directly
// and through breakwater's protected view of it (breaker lookup, permit, outcome), with a handler of
// each contract: undici's current one (undici.request) and the legacy one Node's global fetch uses.
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
// The undici package's own getGlobalDispatcher() sees the swap before breakwater does (global fetch
// is protected at once): enabling again protects the new dispatcher right away.
bw.disable();
bw.enable();
const protectedView = undici.getGlobalDispatcher();
if (protectedView === inMemory) throw new Error('breakwater did not protect the in-memory dispatcher');
const dispatch = {};
for (const contract of Object.keys(sinks)) dispatch[contract] = { direct: [], viaView: [] };
for (let round = 0; round < 14; round++) {
  for (const [contract, sink] of Object.entries(sinks)) {
    const d = dispatchNs(inMemory, sink, 200_000);
    const v = dispatchNs(protectedView, sink, 200_000);
    if (round >= 5) {
      dispatch[contract].direct.push(d);
      dispatch[contract].viaView.push(v);
    }
  }
}
for (const contract of Object.keys(sinks)) {
  dispatch[contract] = { directNs: median(dispatch[contract].direct), viaViewNs: median(dispatch[contract].viaView) };
}
console.log(JSON.stringify({ rejectionUs, rejected, fetchFloorUs: median(floor), dispatch }));
