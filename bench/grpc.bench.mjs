// gRPC client cost of breakwater: unary calls over loopback, grpc-js plain vs patched by
// BreakwaterInstrumentation (toggled with disable()/enable() between interleaved rounds, so noise on
// the shared machine hits both alike), and what a rejected call costs.
// Run with `npm run bench -- grpc`. The server runs in a child process so that the figures are
// the client's work plus a real round trip, not the server's.
import { fork } from 'node:child_process';
import { createRequire } from 'node:module';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { median } from './lib.mjs';

const require = createRequire(import.meta.url);
const PROTO = fileURLToPath(new URL('../test/fixtures/echo.proto', import.meta.url));
// Short batches, many rounds: on a shared machine, bursts of load from elsewhere then spread
// evenly over the cases instead of landing on one.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 40);
const CALLS = Number(process.env.BENCH_OPS ?? 1_000); // per round and case
const CONCURRENCY = 16;
const REJECTIONS = 20_000;

function loadEcho(grpc) {
  const protoLoader = require('@grpc/proto-loader');
  const definition = protoLoader.loadSync(PROTO, { keepCase: true, defaults: true });
  return grpc.loadPackageDefinition(definition).breakwater.test.Echo;
}

if (process.argv[2] === '--server') {
  const grpc = require('@grpc/grpc-js');
  const server = new grpc.Server();
  server.addService(loadEcho(grpc).service, {
    Unary: (call, callback) => callback(null, { text: call.request.text, count: 1 }),
  });
  server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => {
    if (err) throw err;
    process.send({ port });
  });
  process.on('disconnect', () => server.forceShutdown());
} else {
  await main();
}

async function main() {
  const child = fork(fileURLToPath(import.meta.url), ['--server'], { stdio: 'inherit' });
  const { port } = await new Promise((resolve) => child.once('message', resolve));

  const { BreakwaterInstrumentation } = await import('../dist/esm/index.js');
  const instrumentation = new BreakwaterInstrumentation({ instrument: ['grpc'] });
  // Required (not imported) after the instrumentation exists: the CommonJS path its hook patches.
  const grpc = require('@grpc/grpc-js');
  const Echo = loadEcho(grpc);
  const client = new Echo(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const unary = () =>
    new Promise((resolve, reject) => client.Unary({ text: 'hi' }, (err, reply) => (err ? reject(err) : resolve(reply))));

  // Each measure returns calls per second (wall clock) and the client process's CPU time per call
  // (user + system, µs). CPU time is what breakwater adds to; it is also far less disturbed than
  // wall time by other processes competing for the machine.
  async function measured(calls, run) {
    const cpu = process.cpuUsage();
    const start = process.hrtime.bigint();
    await run();
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const used = process.cpuUsage(cpu);
    return { rate: calls / seconds, cpu: (used.user + used.system) / calls };
  }
  // `calls` unary calls, CONCURRENCY in flight.
  const throughput = (calls) =>
    measured(calls, async () => {
      let next = 0;
      const worker = async () => {
        while (next++ < calls) await unary();
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    });
  // One call at a time.
  const sequential = (calls) =>
    measured(calls, async () => {
      for (let i = 0; i < calls; i++) await unary();
    });

  // "control" repeats the plain case: its ratio to plain shows how far apart two identical runs
  // land on this machine, i.e. the noise floor of the breakwater / plain ratio.
  const cases = {
    'plain throughput': () => (instrumentation.disable(), throughput(CALLS)),
    'breakwater throughput': () => (instrumentation.enable(), throughput(CALLS)),
    'control throughput': () => (instrumentation.disable(), throughput(CALLS)),
    'plain sequential': () => (instrumentation.disable(), sequential(CALLS / 4)),
    'breakwater sequential': () => (instrumentation.enable(), sequential(CALLS / 4)),
    'control sequential': () => (instrumentation.disable(), sequential(CALLS / 4)),
  };
  for (const run of Object.values(cases)) await run(); // warm up
  const samples = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
  // A fresh order each round (seeded shuffle): what runs just before a case (a burst of 16
  // concurrent calls, say) affects it, so no case may always follow the same one.
  let seed = 42;
  const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
  for (let round = 0; round < ROUNDS; round++) {
    const order = Object.keys(cases);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    for (const name of order) samples[name].push(await cases[name]());
  }
  const ratio = (a, b, field) => median(samples[a].map((x, i) => x[field] / samples[b][i][field]));
  const med = (name, field) => median(samples[name].map((x) => x[field]));

  // A rejected call: an open breaker for a destination where nothing listens, from the call to its
  // callback. Next to it, grpc-js's own fast failure for a destination it knows is down (no
  // breaker): the best a client could do without one.
  instrumentation.enable();
  const downPort = await closedPort();
  const down = new Echo(`127.0.0.1:${downPort}`, grpc.credentials.createInsecure());
  const failOnce = () => new Promise((resolve) => down.Unary({ text: 'x' }, resolve));
  await failOnce(); // creates the destination's breaker (and fails: nothing listens)
  instrumentation.registry.peek(`127.0.0.1:${downPort}`).forceOpen();
  const perCall = async (n) => {
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await failOnce();
    return Number(process.hrtime.bigint() - start) / 1e3 / n;
  };
  await perCall(2_000);
  const rejected = [];
  const unprotected = [];
  for (let round = 0; round < 5; round++) {
    instrumentation.enable();
    rejected.push(await perCall(REJECTIONS / 5));
    instrumentation.disable();
    unprotected.push(await perCall(REJECTIONS / 5));
  }
  const err = await failOnce();
  instrumentation.enable();
  const rejection = await failOnce();

  // Breakwater's own share of a rejection: the patched createCall up to the status reaching the
  // listener, without grpc-js's client layers (call object, interceptors, error with stack trace).
  const channel = down.getChannel();
  const listener = { onReceiveMetadata() {}, onReceiveMessage() {}, onReceiveStatus() {} };
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
  for (let round = 0; round < 5; round++) own.push(await ownShare(REJECTIONS / 5));

  // Breakwater's own work on a permitted call, without the network: a channel whose internal
  // channel (a grpc-js private field, stubbed here only to isolate our part) hands out calls that
  // end with OK as soon as they start. Patched minus unpatched is what breakwater adds per call.
  const stubCall = {
    start: (_md, l) => l.onReceiveStatus({ code: 0, details: '', metadata: null }),
    cancelWithStatus() {}, getPeer: () => '', sendMessageWithContext() {}, startRead() {}, halfClose() {},
  };
  const stubChannel = Object.create(grpc.Channel.prototype);
  stubChannel.internalChannel = { createCall: () => stubCall, getTarget: () => `dns:127.0.0.1:${port}` };
  stubChannel.getTarget = () => `dns:127.0.0.1:${port}`;
  const md = new grpc.Metadata();
  const permitted = (n) => {
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) stubChannel.createCall('/breakwater.test.Echo/Unary', Infinity, undefined, null, 0).start(md, listener);
    return Number(process.hrtime.bigint() - start) / n;
  };
  const ownPermitted = [];
  for (let round = 0; round < 8; round++) {
    instrumentation.enable();
    const withBreaker = permitted(200_000);
    instrumentation.disable();
    ownPermitted.push(withBreaker - permitted(200_000));
  }
  instrumentation.enable();

  console.log(`grpc bench: ${ROUNDS} interleaved rounds of ${CALLS} unary calls (${CONCURRENCY} in flight) / ${CALLS / 4} one at a time; medians, ratio = median of per-round ratios`);
  for (const [field, title, digits] of [
    ['rate', 'unary calls/s over loopback', 0],
    ['cpu', 'client CPU µs per unary call', 1],
  ]) {
    console.log(`| ${title} | plain grpc-js | breakwater | breakwater / plain | control: plain / plain |`);
    console.log('| --- | --- | --- | --- | --- |');
    for (const [label, key] of [[`${CONCURRENCY} in flight`, 'throughput'], ['one at a time', 'sequential']]) {
      const cells = [
        med(`plain ${key}`, field).toFixed(digits),
        med(`breakwater ${key}`, field).toFixed(digits),
        ratio(`breakwater ${key}`, `plain ${key}`, field).toFixed(3) + 'x',
        ratio(`control ${key}`, `plain ${key}`, field).toFixed(3) + 'x',
      ];
      console.log(`| ${label} | ${cells.join(' | ')} |`);
    }
    console.log('');
  }
  console.log(`| failing fast (µs/call, median of 5 × ${REJECTIONS / 5}) | |`);
  console.log('| --- | --- |');
  console.log(`| breakwater rejection (open breaker, ${rejection.code} "${rejection.details}") | ${median(rejected).toFixed(1)} |`);
  console.log(`| grpc-js alone, destination known down (${err.code} "${err.details.split('.')[0]}") | ${median(unprotected).toFixed(1)} |`);
  console.log(`| breakwater's own share of a rejection (patched createCall → status) | ${median(own).toFixed(1)} |`);
  console.log('');
  console.log(`breakwater's own work per permitted call (breaker lookup, permit, call wrapper, outcome): ${median(ownPermitted).toFixed(0)} ns`);

  client.close();
  down.close();
  instrumentation.disable();
  child.disconnect();
}

async function closedPort() {
  const probe = net.createServer();
  await new Promise((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  return port;
}
