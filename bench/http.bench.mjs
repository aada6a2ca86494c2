// node:http client cost of breakwater: loopback keep-alive throughput with and without it (and with
// @opentelemetry/instrumentation-http alone vs together with breakwater), and the cost of a request
// rejected by an open breaker. Run with `npm run bench -- http`.
//
// The server runs in a child process so this process measures the client side only. Every round
// runs all four setups back to back in a rotating order (patches switched with enable()/disable()),
// so a burst of noise on the shared machine hits every setup alike; figures are medians of rounds.
import http from 'node:http';
import { createRequire } from 'node:module';
import { Duplex } from 'node:stream';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import * as breakwater from '../dist/esm/index.js';
import { loopbackHeading, median, startLoopbackServer, throughput as sample, throughputRow } from './lib.mjs';

const BreakwaterInstrumentation =
  breakwater.BreakwaterInstrumentation ??
  (await import('../dist/esm/instrumentation/instrumentation.js')).BreakwaterInstrumentation;

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const REQUESTS = Number(process.env.BENCH_HTTP_REQUESTS ?? 3_000);
const CONCURRENCY = 16;
const REJECTIONS = Number(process.env.BENCH_REJECTIONS ?? 20_000);
const require = createRequire(import.meta.url);

const server = await startLoopbackServer();
const { port, url } = server;

// --- instrumentations ------------------------------------------------------------------------
// instrumentation-http patches node:http when it is next required (OTel's require hook caches a
// built-in after the first require it sees), so it is enabled and node:http required first.
const originalAddRequest = http.Agent.prototype.addRequest;
// Spans are recorded and handed to an exporter that drops them: the cost of tracing without I/O.
const exporter = { export: (_spans, done) => done({ code: 0 }), shutdown: async () => {} };
const otel = new HttpInstrumentation({ enabled: false, disableIncomingRequestInstrumentation: true });
otel.setTracerProvider(new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] }));
otel.enable();
require('node:http');
const bw = new BreakwaterInstrumentation({ instrument: ['http'], enabled: false });
bw.enable();
if (http.Agent.prototype.addRequest === originalAddRequest) throw new Error('breakwater did not patch node:http');
if (!http.request.__wrapped) throw new Error('instrumentation-http did not patch node:http');
bw.disable();
otel.disable();
if (http.Agent.prototype.addRequest !== originalAddRequest) throw new Error('breakwater did not unpatch node:http');

// 'plain (control)' is plain again: how far two identical setups drift apart in this run is the
// noise floor against which the breakwater ratios must be read.
// '+ 1 µs app work' is a calibration control: instrumentation-http with no breakwater, the
// application itself spinning ~1 µs before each request. It shows what ANY extra microsecond of
// client CPU per request costs over loopback in that setup (on the 2-core machine often 2-4x its
// in-memory cost), so the breakwater row can be read against it.
const setups = {
  plain: { bw: false, otel: false },
  'plain (control)': { bw: false, otel: false },
  breakwater: { bw: true, otel: false },
  'instrumentation-http': { bw: false, otel: true },
  'instrumentation-http + breakwater': { bw: true, otel: true },
  'instrumentation-http + 1 µs app work': { bw: false, otel: true, work: true },
};

// Busy-waits ~1 µs (plus the clock reads): CPU spent by the application, not by any patch.
let appWork = false;
function doAppWork() {
  const start = process.hrtime.bigint();
  while (process.hrtime.bigint() - start < 1000n);
}

function use(setup) {
  appWork = setup.work === true;
  if (setup.otel) otel.enable();
  else otel.disable();
  if (setup.bw) bw.enable();
  else bw.disable();
}

// --- throughput ------------------------------------------------------------------------------
const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

function one() {
  if (appWork) doAppWork();
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent }, (res) => {
      res.resume();
      res.on('end', resolve);
    });
    req.on('error', reject);
  });
}

const throughput = (total) => sample(one, total, CONCURRENCY);

// --- the same node:http client path without I/O ----------------------------------------------
// An agent whose "sockets" are in-memory streams answering every request with a canned response:
// Node's whole client (ClientRequest, agent pool, parser) runs, but no syscall, no server and no
// kernel noise. What breakwater adds shows here as an absolute cost per request.
const CANNED = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok');
class MemorySocket extends Duplex {
  pending = '';
  _read() {}
  _write(chunk, _encoding, done) {
    this.pending += chunk.toString('latin1');
    if (this.pending.endsWith('\r\n\r\n')) {
      this.pending = '';
      queueMicrotask(() => this.push(CANNED));
    }
    done();
  }
  setKeepAlive() { return this; }
  setNoDelay() { return this; }
  setTimeout() { return this; }
  ref() { return this; }
  unref() { return this; }
}
const memoryAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
memoryAgent.createConnection = () => {
  const socket = new MemorySocket();
  queueMicrotask(() => socket.emit('connect'));
  return socket;
};
const memoryGet = () => {
  if (appWork) doAppWork();
  return new Promise((resolve, reject) => {
    http.get('http://in-memory.invalid/', { agent: memoryAgent }, (res) => {
      res.resume();
      res.on('end', resolve);
    }).on('error', reject);
  });
};
async function inMemoryCost(total) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < total; i++) await memoryGet();
  return Number(process.hrtime.bigint() - start) / 1e3 / total;
}

// --- rejected requests -------------------------------------------------------------------------
// µs per rejected http.request(), from the call until its 'error' event, fired in batches of 200
// as an application under load would; the agent must not have opened a single socket meanwhile.
const rejectAgent = new http.Agent({ keepAlive: true });
async function rejectionCost(total) {
  const batch = 200;
  const start = process.hrtime.bigint();
  for (let done = 0; done < total; done += batch) {
    await Promise.all(
      Array.from(
        { length: batch },
        () =>
          new Promise((resolve) => {
            const req = http.request(url, { agent: rejectAgent });
            req.on('error', resolve);
            req.end();
          }),
      ),
    );
  }
  return Number(process.hrtime.bigint() - start) / 1e3 / total;
}

// Warm-up: JIT and sockets for every setup.
for (const setup of Object.values(setups)) {
  use(setup);
  await throughput(REQUESTS / 2);
}

// BENCH_HTTP_SETUPS=plain,breakwater runs a subset (quick A/B while working on the patch).
const names = process.env.BENCH_HTTP_SETUPS?.split(',') ?? Object.keys(setups);
const samples = Object.fromEntries(names.map((n) => [n, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (let i = 0; i < names.length; i++) {
    const name = names[(round + i) % names.length];
    use(setups[name]);
    samples[name].push(await throughput(REQUESTS));
  }
}

const memoryNames = [
  'plain',
  'breakwater',
  'instrumentation-http',
  'instrumentation-http + breakwater',
  'instrumentation-http + 1 µs app work',
];
const memory = Object.fromEntries(memoryNames.map((n) => [n, []]));
for (let round = -1; round < 15; round++) {
  for (let i = 0; i < memoryNames.length; i++) {
    const name = memoryNames[(round + 1 + i) % memoryNames.length];
    use(setups[name]);
    const us = await inMemoryCost(5_000);
    if (round >= 0) memory[name].push(us);
  }
}

// Rejections: breakwater alone, its breaker for the server forced open.
use(setups.breakwater);
bw.registry.get(`127.0.0.1:${port}`).forceOpen();
await rejectionCost(4_000); // warm-up
const rejectionSamples = [];
for (let round = 0; round < 9; round++) rejectionSamples.push(await rejectionCost(REJECTIONS / 9));
const socketsWhileOpen = rejectAgent.totalSocketCount;
use(setups.plain);

const med = (name, field) => median(samples[name].map((s) => s[field]));
const row = (setup, name, baseline) => throughputRow(samples, setup, name, baseline, 'baseline');
console.log(loopbackHeading({ concurrency: CONCURRENCY, requests: REQUESTS, rounds: ROUNDS }));
const rows = [
  ['plain node:http', 'plain', 'plain'],
  ['plain node:http again (control)', 'plain (control)', 'plain'],
  ['breakwater', 'breakwater', 'plain'],
  ['instrumentation-http', 'instrumentation-http', 'instrumentation-http'],
  ['instrumentation-http + breakwater', 'instrumentation-http + breakwater', 'instrumentation-http'],
  ['instrumentation-http + 1 µs app work (calibration)', 'instrumentation-http + 1 µs app work', 'instrumentation-http'],
];
console.table(rows.filter(([, name, base]) => names.includes(name) && names.includes(base)).map((r) => row(...r)));
const memUs = (name) => median(memory[name]);
const memoryLine = (name, base) =>
  `  ${name}: ${memUs(name).toFixed(2)} µs` +
  (name === base ? '' : `, +${(memUs(name) - memUs(base)).toFixed(2)} µs over ${base} (${(memUs(base) / memUs(name)).toFixed(3)}x)`);
console.log('same client path in memory (no I/O), one request at a time, median of 15 x 5000:');
console.log(memoryLine('plain', 'plain'));
console.log(memoryLine('breakwater', 'plain'));
console.log(memoryLine('instrumentation-http', 'instrumentation-http'));
console.log(memoryLine('instrumentation-http + breakwater', 'instrumentation-http'));
console.log(memoryLine('instrumentation-http + 1 µs app work', 'instrumentation-http'));
const rejectUs = median(rejectionSamples);
console.log(
  `rejected request (breaker open): ${rejectUs.toFixed(2)} µs per http.request() until its 'error' event ` +
    `(median of 9 x ${Math.round(REJECTIONS / 9)}); sockets opened meanwhile: ${socketsWhileOpen}`,
);
const ratioOf = (name, base) =>
  names.includes(name) && names.includes(base) ? med(name, 'rps') / med(base, 'rps') : undefined;
const verdict = (r) => (r === undefined ? 'not run' : `${r >= 0.97 ? 'met' : 'NOT met'} (${r.toFixed(3)})`);
console.log(
  `targets: throughput >= 0.97x: breakwater vs plain ${verdict(ratioOf('breakwater', 'plain'))}, ` +
    `instrumentation-http + breakwater vs instrumentation-http ` +
    `${verdict(ratioOf('instrumentation-http + breakwater', 'instrumentation-http'))}; ` +
    `rejection < 20 µs: ${rejectUs < 20 ? 'met' : 'NOT met'}`,
);

agent.destroy();
rejectAgent.destroy();
bw.disable();
otel.disable();
server.stop();
