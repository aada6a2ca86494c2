// Preloaded (`--require`) by startup.bench.mjs in runs of their own: counts every module this
// thread loads, CommonJS and ESM alike, through Node's synchronous module hooks, and writes the
// count to the file named by BENCH_MODULES_OUT at exit.
const { registerHooks } = require('node:module');
const { writeFileSync } = require('node:fs');

const files = new Set();
const builtins = new Set();
registerHooks({
  load(url, context, nextLoad) {
    (url.startsWith('node:') ? builtins : files).add(url);
    return nextLoad(url, context);
  },
});
process.on('exit', () => {
  const packages = new Set([...files].map((u) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(u)?.[1]).filter(Boolean));
  writeFileSync(process.env.BENCH_MODULES_OUT, JSON.stringify({ files: files.size, builtins: builtins.size, packages: [...packages].sort()}));
});
