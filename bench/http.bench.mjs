// node:http client cost of breakwater: loopback keep-alive throughput with and without it (and with
// @opentelemetry/instrumentation-http alone vs together with breakwater), the same client path in
// memory, and the cost of a request rejected by an open breaker. Run with `npm run bench -- http`.
//
// The server runs in a child process, so the figures are the client's work. Each setup runs in a
// fresh process of its own (bench/http-client.mjs), patched from start to end as in an
// application; every round runs all setups back to back in a rotated order, and a setup's ratio is
// the median over rounds of its ratio to the baseline of the same round.
import { fileURLToPath } from 'node:url';
import { median, pairedRow, runInProcesses, startLoopbackServer } from './lib.mjs';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 12);
const REQUESTS = Number(process.env.BENCH_HTTP_REQUESTS ?? 3_000);
const SAMPLES = 6;
const WARMUP = Number(process.env.BENCH_HTTP_WARMUP ?? 36_000);
const MEMORY_REQUESTS = 3_000;
const REJECTIONS = Number(process.env.BENCH_REJECTIONS ?? 18_000);
const CLIENT = fileURLToPath(new URL('./http-client.mjs', import.meta.url));

const server = await startLoopbackServer();

// Rows: [label, setup, baseline]. 'plain (control)' is plain again: how far two identical setups
// land apart is the noise floor the breakwater ratios must be read against. 'breakwater loaded,
// not enabled' separates what loading the package costs (a bigger heap for the garbage collector
// to walk) from what the patch costs per request.
const rows = [
  ['plain node:http', 'plain', 'plain'],
  ['plain node:http again (control)', 'plain (control)', 'plain'],
  ['breakwater loaded, not enabled', 'breakwater loaded, not enabled', 'plain'],
  ['breakwater', 'breakwater', 'plain'],
  ['instrumentation-http', 'instrumentation-http', 'instrumentation-http'],
  ['instrumentation-http + breakwater', 'instrumentation-http + breakwater', 'instrumentation-http'],
];
// BENCH_HTTP_SETUPS=plain,breakwater runs a subset (quick A/B while working on the patch).
const wanted = process.env.BENCH_HTTP_SETUPS?.split(',') ?? rows.map(([, setup]) => setup);
const setups = [...new Set(rows.map(([, setup]) => setup))].filter((s) => wanted.includes(s));
const results = runInProcesses(CLIENT, setups, ROUNDS, {
  url: server.url,
  warmup: WARMUP,
  requests: REQUESTS,
  samples: SAMPLES,
  memoryRequests: MEMORY_REQUESTS,
});
const [rejection] = runInProcesses(CLIENT, ['breakwater, breaker open'], 1, { url: server.url, rejections: REJECTIONS })[
  'breakwater, breaker open'
];
server.stop();

const shown = rows.filter(([, setup, baseline]) => setups.includes(setup) && setups.includes(baseline));
console.log(
  `keep-alive GET over loopback (server in another process), 16 concurrent; each setup in its own process: ` +
    `${WARMUP} requests of warm-up, then the median of ${SAMPLES} samples of ${REQUESTS}; ${ROUNDS} rounds, ` +
    `'x baseline' = median of per-round ratios, 'middle half' = their 25th-75th percentiles`,
);
console.table(shown.map(([label, setup, baseline]) => pairedRow(results, label, setup, baseline)));

const memoryUs = (setup) => median(results[setup].map((r) => r.memoryUs));
console.log(`same client path in memory (no I/O), one request at a time, median over processes of the median of 3 x ${MEMORY_REQUESTS}:`);
for (const [label, setup, baseline] of shown) {
  const us = memoryUs(setup);
  const heap = median(results[setup].map((r) => r.heapMB));
  console.log(
    `  ${label}: ${us.toFixed(2)} µs` +
      (setup === baseline ? '' : `, ${us >= memoryUs(baseline) ? '+' : ''}${(us - memoryUs(baseline)).toFixed(2)} µs over ${baseline}`) +
      ` (heap in use at the end: ${heap.toFixed(1)} MB)`,
  );
}
console.log(
  `rejected request (breaker open): ${rejection.rejectionUs.toFixed(2)} µs per http.request() until its 'error' event ` +
    `(median of 9 x ${Math.round(REJECTIONS / 9)}); sockets opened meanwhile: ${rejection.sockets}; ` +
    `rejections counted by the breaker: ${rejection.rejected}`,
);

const ratio = (setup, baseline) =>
  setups.includes(setup) && setups.includes(baseline)
    ? median(results[setup].map((r, i) => r.rps / results[baseline][i].rps))
    : undefined;
const verdict = (r) => (r === undefined ? 'not run' : `${r >= 0.97 ? 'met' : 'NOT met'} (${r.toFixed(3)})`);
console.log(
  `targets: throughput >= 0.97x: breakwater vs plain ${verdict(ratio('breakwater', 'plain'))}, ` +
    `instrumentation-http + breakwater vs instrumentation-http ` +
    `${verdict(ratio('instrumentation-http + breakwater', 'instrumentation-http'))}; ` +
    `rejection < 20 µs: ${rejection.rejectionUs < 20 ? 'met' : 'NOT met'}`,
);
