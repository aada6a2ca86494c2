// What `import('breakwater')` costs an application at start-up, against cockatiel and opossum:
// the files it loads (a stable count) and the time the import takes, each in a fresh process.
// Rounds are interleaved and rotated (lib.mjs runInProcesses), so a slow stretch of the machine
// lands on every case; the ratio to cockatiel is the median of per-round ratios. Goal (issue 11):
// import('breakwater') no slower than require('cockatiel'). Run with `npm run bench -- import`.
// BENCH_IMPORT_SETUPS="import('breakwater'),require('cockatiel')" runs a subset.
import { fileURLToPath } from 'node:url';
import { median, quantile, runInProcesses } from './lib.mjs';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 31);
const CHILD = fileURLToPath(new URL('./import-child.mjs', import.meta.url));
const BASELINE = "require('cockatiel')";
const GOAL = "import('breakwater')";
const all = [GOAL, "require('breakwater')", "import('breakwater/instrumentation')", BASELINE, "require('opossum')"];
const setups = process.env.BENCH_IMPORT_SETUPS?.split(',') ?? all;

const counts = runInProcesses(CHILD, setups, 1, { mode: 'count' });
const times = runInProcesses(CHILD, setups, ROUNDS, { mode: 'time' });

console.log(
  `each case in a fresh node ${process.version} process, ${ROUNDS} rounds in rotated order; ` +
    `'x cockatiel' = median of per-round ratios to require('cockatiel'), 'middle half' = their 25th-75th percentiles`,
);
const rows = setups.map((setup) => {
  const ms = times[setup].map((r) => r.ms);
  const row = { case: setup, files: counts[setup][0].files, packages: counts[setup][0].packages.length, 'median ms': median(ms).toFixed(1) };
  if (times[BASELINE]) {
    const ratios = ms.map((m, i) => m / times[BASELINE][i].ms);
    Object.assign(row, { 'x cockatiel': median(ratios).toFixed(2), 'middle half': `${quantile(ratios, 0.25).toFixed(2)}-${quantile(ratios, 0.75).toFixed(2)}` });
  }
  return row;
});
console.table(rows);
for (const setup of setups) console.log(`${setup} loads: ${counts[setup][0].packages.join(', ')}`);

if (times[GOAL] && times[BASELINE]) {
  const ratio = median(times[GOAL].map((r, i) => r.ms / times[BASELINE][i].ms));
  const met = ratio <= 1;
  console.log(`goal: ${GOAL} no slower than ${BASELINE} — x ${ratio.toFixed(2)}: ${met ? 'met' : 'MISSED'}`);
  if (!met) process.exitCode = 1;
}
