// Helpers shared by the bench/*.bench.mjs scripts. Not a bench itself: run.mjs only runs files
// named *.bench.mjs.
import { execFileSync, spawn } from 'node:child_process';

/** The median of a list of numbers (the mean of the middle two for an even count). */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/**
 * The names in the order for one round, rotated by the round number, so no case always runs first
 * (or right after the same GC-heavy one).
 */
export function rotated(names, round) {
  return names.slice(round % names.length).concat(names.slice(0, round % names.length));
}

/**
 * A keep-alive HTTP server answering 'ok' on 127.0.0.1, in a child process so the bench process
 * measures the client side only. stop() lets the child exit (it exits when its stdin ends).
 *
 * With BENCH_BUSY_SERVER=1 its event loop never sleeps (a setImmediate loop keeps it polling), so
 * the client's requests never have to wake an idle CPU: on a VM that takes a large share of the
 * client's socket writes, and more the slower the client (see README, "Where the amplification is").
 */
export async function startLoopbackServer() {
  const busy = process.env.BENCH_BUSY_SERVER === '1';
  const child = spawn(
    process.execPath,
    [
      '-e',
      `const s = require('node:http').createServer((q, r) => { q.resume(); q.on('end', () => r.end('ok')); });
       s.keepAliveTimeout = 60000;
       ${busy ? 'const spin = () => setImmediate(spin); spin();' : ''}
       s.listen(0, '127.0.0.1', () => process.stdout.write(String(s.address().port) + '\\n'));
       process.stdin.on('end', () => process.exit(0)); process.stdin.resume();`,
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const port = await new Promise((resolve, reject) => {
    child.stdout.once('data', (d) => resolve(Number(String(d).trim())));
    child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
  });
  return { port, url: `http://127.0.0.1:${port}/`, busy, stop: () => child.stdin.end() };
}

/**
 * One sample: `total` calls of `one`, `concurrency` in flight. Returns wall-clock throughput and
 * this process's CPU time per call (user + system, µs), which the other tenants of a shared
 * machine disturb far less than the wall clock.
 */
export async function throughput(one, total, concurrency) {
  let next = 0;
  const worker = async () => {
    while (next++ < total) await one();
  };
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(cpu);
  return { rps: total / seconds, cpuUs: (used.user + used.system) / total };
}

/**
 * Runs `script` once per setup and round, each run in a fresh Node process, the setups of a round
 * back to back in a rotated order. A setup is measured the way an application runs it: patched
 * from start to end. Switching patches inside one process (enable()/disable() between samples)
 * changes prototypes V8 has optimized Node's own code against, and the deoptimizations that
 * follow land on whichever setup runs next, by more than the effects being measured.
 * `script` gets `JSON.stringify({ setup, ...args })` as its argument and prints one JSON line.
 * Returns, per setup, the list of results in round order.
 */
export function runInProcesses(script, setups, rounds, args = {}) {
  const results = Object.fromEntries(setups.map((s) => [s, []]));
  for (let round = 0; round < rounds; round++) {
    for (const setup of rotated(setups, round)) {
      const out = execFileSync(process.execPath, [script, JSON.stringify({ setup, ...args })], { encoding: 'utf8' });
      results[setup].push(JSON.parse(out.trim().split('\n').at(-1)));
    }
  }
  return results;
}

/**
 * A console.table row for one setup of runInProcesses() results: median req/s and CPU µs per
 * request, and the ratio to the baseline as the median of per-round ratios (each setup against
 * the baseline of its own round, so a slow stretch of the machine cancels out) with the middle
 * half of those ratios, CPU inverted so above 1 is better in both.
 */
export function pairedRow(results, label, name, baseline) {
  const ratios = (field, invert) =>
    results[name].map((r, i) => (invert ? results[baseline][i][field] / r[field] : r[field] / results[baseline][i][field]));
  const rps = ratios('rps', false);
  return {
    setup: label,
    'req/s': Math.round(median(results[name].map((r) => r.rps))),
    'x baseline': median(rps).toFixed(3),
    'middle half': `${quantile(rps, 0.25).toFixed(3)}-${quantile(rps, 0.75).toFixed(3)}`,
    'CPU µs/req': median(results[name].map((r) => r.cpuUs)).toFixed(1),
    'CPU x baseline': median(ratios('cpuUs', true)).toFixed(3),
  };
}

/** The heading printed above a pairedRow() table of a keep-alive loopback bench (16 concurrent). */
export function loopbackHeading({ warmup, samples, requests, rounds, busy }) {
  return (
    `keep-alive GET over loopback (server in another process${busy ? ', its event loop never sleeping' : ''}), 16 concurrent; each setup in its own process: ` +
    `${warmup} requests of warm-up, then the median of ${samples} samples of ${requests}; ${rounds} rounds, ` +
    `'x baseline' = median of per-round ratios, 'middle half' = their 25th-75th percentiles`
  );
}

/** The q-quantile of a list of numbers (linear between the nearest two). */
export function quantile(xs, q) {
  const s = [...xs].sort((a, b) => a - b);
  const at = (s.length - 1) * q;
  const lo = Math.floor(at);
  return lo + 1 < s.length ? s[lo] + (s[lo + 1] - s[lo]) * (at - lo) : s[lo];
}
