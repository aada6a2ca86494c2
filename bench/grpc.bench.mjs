// gRPC client cost of breakwater: unary calls over loopback with plain grpc-js and with breakwater,
// breakwater's own work per call without the network, and what a rejected call costs.
// Run with `npm run bench -- grpc`.
//
// The server runs in a child process, so the figures are the client's work plus a real round trip.
// Each setup runs in a fresh process of its own (bench/grpc-client.mjs), patched from start to end
// as in an application; every round runs all setups back to back in a rotated order, and a setup's
// ratio is the median over rounds of its ratio to plain grpc-js in the same round.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { median, pairedRow, runInProcesses } from './lib.mjs';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 8);
const CALLS = Number(process.env.BENCH_GRPC_CALLS ?? 1_000);
const SAMPLES = 5;
const WARMUP = Number(process.env.BENCH_GRPC_WARMUP ?? 8_000);
const REJECTIONS = 20_000;
const CLIENT = fileURLToPath(new URL('./grpc-client.mjs', import.meta.url));

const child = fork(CLIENT, [JSON.stringify({ setup: 'plain', mode: 'server' })], { stdio: 'inherit' });
const { port } = await new Promise((resolve) => child.once('message', resolve));

// 'plain (control)' is plain again: how far two identical setups land apart is the noise floor.
const setups = ['plain', 'plain (control)', 'breakwater'];
const loopback = Object.fromEntries(
  [16, 1].map((concurrency) => [
    concurrency,
    runInProcesses(CLIENT, setups, ROUNDS, { mode: 'loopback', port, concurrency, warmup: WARMUP, calls: CALLS, samples: SAMPLES }),
  ]),
);
const stub = runInProcesses(CLIENT, ['plain', 'breakwater'], 6, { mode: 'stub' });
const down = runInProcesses(CLIENT, ['plain', 'breakwater, breaker open'], 1, { mode: 'down', rejections: REJECTIONS });
child.disconnect();

for (const [concurrency, results] of Object.entries(loopback).reverse()) {
  console.log(
    `unary calls over loopback, ${concurrency === '1' ? 'one at a time' : `${concurrency} in flight`}; each setup in its own process: ` +
      `${WARMUP} calls of warm-up, then the median of ${SAMPLES} samples of ${CALLS}; ${ROUNDS} rounds, ` +
      `'x baseline' = median of per-round ratios, 'middle half' = their 25th-75th percentiles`,
  );
  console.table(setups.map((setup) => pairedRow(results, setup, setup, 'plain')));
}
const stubNs = (setup) => median(stub[setup].map((r) => r.stubNs));
console.log(
  `breakwater's own work per permitted call without the network (stub channel; lookup, permit, call wrapper, outcome): ` +
    `${(stubNs('breakwater') - stubNs('plain')).toFixed(0)} ns (${stubNs('plain').toFixed(1)} ns plain, ` +
    `${stubNs('breakwater').toFixed(0)} ns with breakwater; median over 6 processes each)`,
);
const [plain] = down.plain;
const [open] = down['breakwater, breaker open'];
console.log(`failing fast, µs per call (median of 5 x ${REJECTIONS / 5}):`);
console.log(`  breakwater rejection (open breaker, ${open.code} "${open.details}"): ${open.failUs.toFixed(1)}`);
console.log(`  grpc-js alone, destination known down (${plain.code} "${plain.details.split('.')[0]}"): ${plain.failUs.toFixed(1)}`);
console.log(`  breakwater's own share of a rejection (patched createCall -> status): ${open.ownUs.toFixed(1)}`);
