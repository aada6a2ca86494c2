// One setup of the gRPC bench (grpc.bench.mjs), in a process of its own: breakwater is enabled (or
// not) once, at start, as in an application, and never switched. Prints one JSON line.
//
//   node bench/grpc-client.mjs '{"setup":"breakwater","mode":"loopback","port":PORT,...}'
// Mode "server" (setup "plain") is the bench's server instead: it sends its port to its parent.
import { createRequire } from 'node:module';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { median, throughput } from './lib.mjs';

const { setup, mode, port, concurrency, warmup, calls, samples, rejections } = JSON.parse(process.argv[2]);
const require = createRequire(import.meta.url);
const PROTO = fileURLToPath(new URL('../test/fixtures/echo.proto', import.meta.url));

const SETUPS = ['plain', 'plain (control)', 'breakwater', 'breakwater, breaker open'];
if (!SETUPS.includes(setup)) throw new Error(`unknown setup ${setup}`);
let bw;
if (setup.startsWith('breakwater')) {
  const { BreakwaterInstrumentation } = await import('../dist/esm/instrumentation.js');
  bw = new BreakwaterInstrumentation({ instrument: ['grpc'] });
}
// Required (not imported) after the instrumentation exists: the CommonJS path its hook patches.
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const Echo = grpc.loadPackageDefinition(protoLoader.loadSync(PROTO, { keepCase: true, defaults: true })).breakwater.test.Echo;

// --- the bench's server (plain grpc-js, its own process), started by grpc.bench.mjs -------------
if (mode === 'server') {
  const server = new grpc.Server();
  server.addService(Echo.service, { Unary: (call, callback) => callback(null, { text: call.request.text, count: 1 }) });
  server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, boundPort) => {
    if (err) throw err;
    process.send({ port: boundPort });
  });
  process.on('disconnect', () => server.forceShutdown());
}

// --- unary calls over loopback, `concurrency` in flight -----------------------------------------
if (mode === 'loopback') {
  const client = new Echo(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const unary = () =>
    new Promise((resolve, reject) => client.Unary({ text: 'hi' }, (err, reply) => (err ? reject(err) : resolve(reply))));
  await throughput(unary, warmup, concurrency);
  const xs = [];
  for (let i = 0; i < samples; i++) xs.push(await throughput(unary, calls, concurrency));
  client.close();
  console.log(JSON.stringify({ rps: median(xs.map((s) => s.rps)), cpuUs: median(xs.map((s) => s.cpuUs)) }));
  process.exit(0);
}

// --- a permitted call without the network -------------------------------------------------------
// A channel whose internal channel (a grpc-js private field, stubbed here only to isolate our part)
// hands out calls that end with OK as soon as they start: ns per createCall() → status, so the
// breakwater process minus the plain one is what breakwater adds per call (lookup, permit, call
// wrapper, outcome).
const listener = { onReceiveMetadata() {}, onReceiveMessage() {}, onReceiveStatus() {} };
if (mode === 'stub') {
  const stubCall = {
    start: (_md, l) => l.onReceiveStatus({ code: 0, details: '', metadata: null }),
    cancelWithStatus() {}, getPeer: () => '', sendMessageWithContext() {}, startRead() {}, halfClose() {},
  };
  const stubChannel = Object.create(grpc.Channel.prototype);
  stubChannel.internalChannel = { createCall: () => stubCall, getTarget: () => 'dns:127.0.0.1:50051' };
  stubChannel.getTarget = () => 'dns:127.0.0.1:50051';
  const md = new grpc.Metadata();
  const perCall = (n) => {
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) stubChannel.createCall('/breakwater.test.Echo/Unary', Infinity, undefined, null, 0).start(md, listener);
    return Number(process.hrtime.bigint() - start) / n;
  };
  perCall(400_000);
  const xs = [];
  for (let i = 0; i < 9; i++) xs.push(perCall(200_000));
  console.log(JSON.stringify({ stubNs: median(xs) }));
  process.exit(0);
}

// --- failing fast: a destination where nothing listens ------------------------------------------
// 'plain': grpc-js's own fast failure once it knows the destination is down (no breaker), the best
// a client could do without one. 'breakwater, breaker open': the destination's breaker forced open;
// also breakwater's own share of that, the patched createCall up to the status reaching the
// listener, without grpc-js's client layers (call object, interceptors, error with stack trace).
if (mode === 'down') {
  const probe = net.createServer();
  await new Promise((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const downPort = probe.address().port;
  await new Promise((resolve) => probe.close(resolve));
  const down = new Echo(`127.0.0.1:${downPort}`, grpc.credentials.createInsecure());
  const failOnce = () => new Promise((resolve) => down.Unary({ text: 'x' }, resolve));
  await failOnce(); // fails (nothing listens) and, with breakwater, creates the destination's breaker
  bw?.registry.peek(`127.0.0.1:${downPort}`).forceOpen();
  const perCall = async (n) => {
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await failOnce();
    return Number(process.hrtime.bigint() - start) / 1e3 / n;
  };
  await perCall(2_000);
  const failUs = [];
  for (let i = 0; i < 5; i++) failUs.push(await perCall(rejections / 5));
  const err = await failOnce();
  const result = { failUs: median(failUs), code: err.code, details: err.details };
  if (bw) {
    const channel = down.getChannel();
    const ownShare = async (n) => {
      const start = process.hrtime.bigint();
      for (let i = 0; i < n; i++) {
        channel.createCall('/breakwater.test.Echo/Unary', Infinity, undefined, null, 0).start(new grpc.Metadata(), listener);
        if (i % 100 === 99) await new Promise(setImmediate); // let the queued statuses run
      }
      await new Promise(setImmediate);
      return Number(process.hrtime.bigint() - start) / 1e3 / n;
    };
    await ownShare(5_000);
    const own = [];
    for (let i = 0; i < 5; i++) own.push(await ownShare(rejections / 5));
    result.ownUs = median(own);
  }
  down.close();
  console.log(JSON.stringify(result));
  process.exit(0);
}
if (mode !== 'server') throw new Error(`unknown mode ${mode}`);
