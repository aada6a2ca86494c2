// node:http client cost of breakwater: loopback keep-alive throughput with and without it (and with
// @opentelemetry/instrumentation-http alone vs together with breakwater), the same client path in
// memory, and the cost of a request rejected by an open breaker. Run with `npm run bench -- http`.
//
// The server runs in a child process, so the figures are the client's work. Each setup runs in a
// fresh process of its own (bench/http-client.mjs), patched from start to end as in an
// application; every round runs all setups back to back in a rotated order, and a setup's ratio is
// the median over rounds of its ratio to the baseline of the same round.
import { fileURLToPath } from 'node:url';
import { loopbackHeading, median, pairedRow, runInProcesses, startLoopbackServer } from './lib.mjs';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10);
const REQUESTS = Number(process.env.BENCH_HTTP_REQUESTS ?? 3_000);
const SAMPLES = 6;
// Enough for V8 to have settled: with instrumentation-http, throughput still climbs for ~30,000
// requests after start. A setup measured before that pays for its warm-up, not for its patch.
const WARMUP = Number(process.env.BENCH_HTTP_WARMUP ?? 30_000);
const MEMORY_ROUNDS = 6;
const REJECTIONS = Number(process.env.BENCH_REJECTIONS ?? 18_000);
const CLIENT = fileURLToPath(new URL('./http-client.mjs', import.meta.url));

const server = await startLoopbackServer();

// Rows: [setup, baseline]. 'plain (control)' is plain again: how far two identical setups land
// apart is the noise floor the other ratios must be read against. 'breakwater loaded, not
// enabled' separates what loading the package costs from what the patch costs per request. The
// '0.5 µs app work' rows are calibration: no patch, the application busy-waits before each request.
const rows = [
  ['plain', 'plain'],
  ['plain (control)', 'plain'],
  ['breakwater loaded, not enabled', 'plain'],
  ['breakwater', 'plain'],
  ['plain + 0.5 µs app work', 'plain'],
  ['instrumentation-http', 'instrumentation-http'],
  ['instrumentation-http + breakwater', 'instrumentation-http'],
  ['instrumentation-http + 0.5 µs app work', 'instrumentation-http'],
];
// BENCH_HTTP_SETUPS=plain,breakwater runs a subset (quick A/B while working on the patch).
const wanted = process.env.BENCH_HTTP_SETUPS?.split(',') ?? rows.map(([setup]) => setup);
const shown = rows.filter(([setup, baseline]) => wanted.includes(setup) && wanted.includes(baseline));
const setups = shown.map(([setup]) => setup);
const loopback = runInProcesses(CLIENT, setups, ROUNDS, {
  mode: 'loopback',
  url: server.url,
  warmup: WARMUP,
  requests: REQUESTS,
  samples: SAMPLES,
});
const memorySetups = setups.filter((s) => s !== 'plain (control)' && s !== 'breakwater loaded, not enabled');
const memory = runInProcesses(CLIENT, memorySetups, MEMORY_ROUNDS, { mode: 'memory', warmup: 20_000, requests: 5_000, samples: 5 });
const [rejection] = runInProcesses(CLIENT, ['breakwater, breaker open'], 1, {
  mode: 'rejections',
  url: server.url,
  rejections: REJECTIONS,
})['breakwater, breaker open'];
server.stop();

console.log(loopbackHeading({ warmup: WARMUP, samples: SAMPLES, requests: REQUESTS, rounds: ROUNDS, busy: server.busy }));
console.table(shown.map(([setup, baseline]) => pairedRow(loopback, setup, setup, baseline)));

const memoryUs = (setup) => median(memory[setup].map((r) => r.memoryUs));
console.log(
  `same client path in memory (no I/O), one request at a time, each setup in its own process: ` +
    `median over ${MEMORY_ROUNDS} processes of the median of 5 x 5000 after 20000 of warm-up:`,
);
for (const [setup, baseline] of shown.filter(([setup]) => memorySetups.includes(setup))) {
  const us = memoryUs(setup);
  const delta = us - memoryUs(baseline);
  console.log(`  ${setup}: ${us.toFixed(2)} µs` + (setup === baseline ? '' : `, ${delta >= 0 ? '+' : ''}${delta.toFixed(2)} µs over ${baseline}`));
}
console.log(
  `rejected request (breaker open): ${rejection.rejectionUs.toFixed(2)} µs per http.request() until its 'error' event ` +
    `(median of 9 x ${Math.round(REJECTIONS / 9)}); sockets opened meanwhile: ${rejection.sockets}; ` +
    `rejections counted by the breaker: ${rejection.rejected}`,
);

const ratio = (setup, baseline) =>
  setups.includes(setup) && setups.includes(baseline)
    ? median(loopback[setup].map((r, i) => r.rps / loopback[baseline][i].rps))
    : undefined;
const verdict = (r) => (r === undefined ? 'not run' : `${r >= 0.97 ? 'met' : 'NOT met'} (${r.toFixed(3)})`);
console.log(
  `targets: throughput >= 0.97x: breakwater vs plain ${verdict(ratio('breakwater', 'plain'))}, ` +
    `instrumentation-http + breakwater vs instrumentation-http ` +
    `${verdict(ratio('instrumentation-http + breakwater', 'instrumentation-http'))}; ` +
    `rejection < 20 µs: ${rejection.rejectionUs < 20 ? 'met' : 'NOT met'}`,
);
