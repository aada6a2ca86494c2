// One setup of the node:http bench (http.bench.mjs), in a process of its own: the patches are
// installed once, at start, as in an application, and never switched. Prints one JSON line.
//
//   node bench/http-client.mjs '{"setup":"breakwater","url":"http://127.0.0.1:PORT/",...}'
import http from 'node:http';
import { createRequire } from 'node:module';
import { Duplex } from 'node:stream';
import { median, throughput } from './lib.mjs';

const { setup, mode, url, warmup, requests, samples, rejections } = JSON.parse(process.argv[2]);
const require = createRequire(import.meta.url);

/**
 * What each setup loads and enables. `appWork` is a calibration: no patch at all, the application
 * itself busy-waits about half a microsecond before each request, to show what any extra client CPU
 * costs in that setup.
 */
const SETUPS = {
  plain: {},
  'plain (control)': {},
  'breakwater loaded, not enabled': { bwLoaded: true },
  breakwater: { bw: true },
  'plain + 0.5 µs app work': { appWork: true },
  'instrumentation-http': { otel: true },
  'instrumentation-http + breakwater': { otel: true, bw: true },
  'instrumentation-http + 0.5 µs app work': { otel: true, appWork: true },
  'breakwater, breaker open': { bw: true },
};
const use = SETUPS[setup];
if (use === undefined) throw new Error(`unknown setup ${setup}`);

if (use.otel) {
  const { HttpInstrumentation } = await import('@opentelemetry/instrumentation-http');
  const { SimpleSpanProcessor, TracerProvider } = await import('@opentelemetry/sdk-trace');
  // Spans are recorded and handed to an exporter that drops them: the cost of tracing without I/O.
  const exporter = { export: (_spans, done) => done({ code: 0 }), shutdown: async () => {} };
  const otel = new HttpInstrumentation({ disableIncomingRequestInstrumentation: true });
  otel.setTracerProvider(new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] }));
  otel.enable();
  // OTel's require hook patches node:http when it is next required.
  require('node:http');
  if (!http.request.__wrapped) throw new Error('instrumentation-http did not patch node:http');
}
let bw;
if (use.bw || use.bwLoaded) {
  const { BreakwaterInstrumentation } = await import('../dist/esm/instrumentation.js');
  const originalAddRequest = http.Agent.prototype.addRequest;
  bw = new BreakwaterInstrumentation({ instrument: ['http'], enabled: use.bw === true });
  if (use.bw && http.Agent.prototype.addRequest === originalAddRequest) throw new Error('breakwater did not patch node:http');
}

function appWork() {
  const start = process.hrtime.bigint();
  while (process.hrtime.bigint() - start < 500n);
}

// --- rejected requests -------------------------------------------------------------------------
// µs per rejected http.request(), from the call until its 'error' event, fired in batches of 200
// as an application under load would; the agent must not open a single socket meanwhile.
if (mode === 'rejections') {
  const agent = new http.Agent({ keepAlive: true });
  const breaker = bw.registry.get(new URL(url).host);
  breaker.forceOpen();
  const rejectionCost = async (total) => {
    const batch = 200;
    const start = process.hrtime.bigint();
    for (let done = 0; done < total; done += batch) {
      await Promise.all(
        Array.from({ length: batch }, () => new Promise((resolve) => http.request(url, { agent }).on('error', resolve).end())),
      );
    }
    return Number(process.hrtime.bigint() - start) / 1e3 / total;
  };
  await rejectionCost(4_000); // warm-up
  const xs = [];
  for (let i = 0; i < 9; i++) xs.push(await rejectionCost(rejections / 9));
  console.log(JSON.stringify({ rejectionUs: median(xs), sockets: agent.totalSocketCount, rejected: breaker.metrics.rejectedCalls }));
  process.exit(0);
}

// --- keep-alive throughput over loopback --------------------------------------------------------
if (mode === 'loopback') {
  const CONCURRENCY = 16;
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const one = () => {
    if (use.appWork) appWork();
    return new Promise((resolve, reject) => {
      http.get(url, { agent }, (res) => {
        res.resume();
        res.on('end', resolve);
      }).on('error', reject);
    });
  };
  await throughput(one, warmup, CONCURRENCY);
  const xs = [];
  for (let i = 0; i < samples; i++) xs.push(await throughput(one, requests, CONCURRENCY));
  agent.destroy();
  console.log(JSON.stringify({ rps: median(xs.map((s) => s.rps)), cpuUs: median(xs.map((s) => s.cpuUs)) }));
  process.exit(0);
}

// --- the same client path without I/O ---------------------------------------------------------
// An agent whose "sockets" are in-memory streams answering every request with a canned response:
// Node's whole client (ClientRequest, agent pool, parser) runs, but no syscall and no server.
// What a setup adds shows here as an absolute cost per request (in a process of its own: the
// loopback run would leave Node's code optimized for two kinds of socket).
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
  if (use.appWork) appWork();
  return new Promise((resolve, reject) => {
    http.get('http://in-memory.invalid/', { agent: memoryAgent }, (res) => {
      res.resume();
      res.on('end', resolve);
    }).on('error', reject);
  });
};
const inMemory = async (total) => {
  const start = process.hrtime.bigint();
  for (let i = 0; i < total; i++) await memoryGet();
  return Number(process.hrtime.bigint() - start) / 1e3 / total;
};
await inMemory(warmup);
const memory = [];
for (let i = 0; i < samples; i++) memory.push(await inMemory(requests));
console.log(JSON.stringify({ memoryUs: median(memory), heapMB: process.memoryUsage().heapUsed / 1e6 }));
