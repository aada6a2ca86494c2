// One fresh process of the import bench: loads one entry point and prints one JSON line. In
// 'time' mode it reports how long the import took; in 'count' mode (a separate process, so the
// hook's own cost stays out of the times) the files that loading read, from a module load hook,
// which sees both import and require.
import { createRequire, registerHooks } from 'node:module';

const { setup, mode } = JSON.parse(process.argv[2]);
const require = createRequire(import.meta.url);
const loaders = {
  "import('breakwater')": () => import('breakwater'),
  "require('breakwater')": () => require('breakwater'),
  "import('breakwater/instrumentation')": () => import('breakwater/instrumentation'),
  "require('cockatiel')": () => require('cockatiel'),
  "require('opossum')": () => require('opossum'),
};
const load = loaders[setup];
if (!load) throw new Error(`import bench: unknown setup ${JSON.stringify(setup)}`);

const files = new Set();
if (mode === 'count') {
  registerHooks({
    load(url, context, nextLoad) {
      if (url.startsWith('file:')) files.add(url);
      return nextLoad(url, context);
    },
  });
}
const start = performance.now();
await load();
const ms = performance.now() - start;
const packages = new Set([...files].map(packageOf));
console.log(JSON.stringify({ ms, files: files.size, packages: [...packages].sort() }));

/** The npm package a file belongs to ('breakwater' for this repository's own files). */
function packageOf(url) {
  const m = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\/(?!.*\/node_modules\/)/.exec(url);
  return m ? m[1] : 'breakwater';
}
