// Global fetch and undici client cost of breakwater: loopback keep-alive throughput with and without
// it, the cost of a request rejected by an open breaker, and the patch's own cost without I/O.
// Run with `npm run bench -- fetch`.
//
// The server runs in a child process, so the figures are the client's work. Each setup runs in a
// fresh process of its own (bench/fetch-client.mjs), with breakwater enabled from start to end as in
// an application; every round runs all setups back to back in a rotated order, and a setup's ratio
// is the median over rounds of its ratio to the plain setup of the same round.
import { fileURLToPath } from 'node:url';
import { loopbackHeading, median, pairedRow, runInProcesses, startLoopbackServer } from './lib.mjs';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10);
const REQUESTS = Number(process.env.BENCH_FETCH_REQUESTS ?? 2_000);
const SAMPLES = 5;
const WARMUP = Number(process.env.BENCH_FETCH_WARMUP ?? 24_000);
const REJECTIONS = Number(process.env.BENCH_REJECTIONS ?? 18_000);
const CLIENT = fileURLToPath(new URL('./fetch-client.mjs', import.meta.url));
const CLIENTS = ['global fetch', 'undici.request'];

const server = await startLoopbackServer();
const setups = CLIENTS.flatMap((client) => [`${client}, plain`, `${client}, breakwater`]);
const results = runInProcesses(CLIENT, setups, ROUNDS, { url: server.url, warmup: WARMUP, requests: REQUESTS, samples: SAMPLES });
const [other] = runInProcesses(CLIENT, ['rejections and in-memory dispatch'], 1, { url: server.url, rejections: REJECTIONS })[
  'rejections and in-memory dispatch'
];
server.stop();

console.log(loopbackHeading({ warmup: WARMUP, samples: SAMPLES, requests: REQUESTS, rounds: ROUNDS, busy: server.busy }));
console.table(setups.map((setup) => pairedRow(results, setup, setup, `${setup.split(',')[0]}, plain`)));
for (const [name, us] of Object.entries(other.rejectionUs)) {
  console.log(`rejected ${name} (breaker open): ${us.toFixed(2)} µs per call until its promise rejects (median of 9 x ${Math.round(REJECTIONS / 9)})`);
}
console.log(`plain global fetch of a data: URL (fetch's own cost, no dispatcher, no I/O): ${other.fetchFloorUs.toFixed(2)} µs per call`);
console.log(`rejections counted by the breaker: ${other.rejected} (expected ${2 * (2_000 + 9 * Math.round(REJECTIONS / 9))})`);
for (const [contract, { directNs, viaViewNs }] of Object.entries(other.dispatch)) {
  console.log(
    `protected dispatch without I/O, ${contract} handler: ${(viaViewNs - directNs).toFixed(0)} ns added per request ` +
      `(${directNs.toFixed(0)} ns direct, ${viaViewNs.toFixed(0)} ns through breakwater; median of 9 x 200000)`,
  );
}
for (const client of CLIENTS) {
  const ratio = median(results[`${client}, breakwater`].map((r, i) => r.rps / results[`${client}, plain`][i].rps));
  console.log(`${client}: throughput >= 0.97x plain: ${ratio >= 0.97 ? 'met' : 'NOT met'} (${ratio.toFixed(3)})`);
}
