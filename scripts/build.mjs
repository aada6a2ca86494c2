// Builds one copy of the package in dist/esm: the entry points (index, instrumentation, register)
// as ES modules bundled by rolldown, the code they share in dist/esm/chunks (so each module exists
// once, whichever entries an app loads), and tsc's .d.ts beside them. Bundled because loading a
// module costs Node more than running it: ~40 small files made `import 'breakwater'` slower than
// cockatiel's (bench: import). `require('breakwater')` loads the same modules (Node >= 22.12 can
// require() ES modules), so state and classes are shared whatever mix of import and require an
// app uses. dist/cjs holds one-line CommonJS paths onto the entries, for
// `node --require …/dist/cjs/register.js` and other by-path loads.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isAbsolute } from 'node:path';
import { build } from 'rolldown';

const ENTRIES = ['index', 'instrumentation', 'register'];
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
rmSync('dist', { recursive: true, force: true });
try {
  // Type-checks, and writes the declarations; the JavaScript comes from the bundle below.
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.json', '--emitDeclarationOnly'], { stdio: 'inherit' });
} catch {
  console.error('build: tsc -p tsconfig.json failed (errors above)');
  process.exit(1);
}

await build({
  input: Object.fromEntries(ENTRIES.map((name) => [name, `src/${name}.ts`])),
  platform: 'node',
  // Dependencies and builtins stay imports: only breakwater's own modules are bundled.
  external: (id) => !id.startsWith('.') && !isAbsolute(id),
  resolve: { extensionAlias: { '.js': ['.ts', '.js'] } },
  transform: { target: 'es2023' },
  logLevel: 'warn',
  output: { dir: 'dist/esm', format: 'esm', sourcemap: true, entryFileNames: '[name].js', chunkFileNames: 'chunks/[name].js' },
});

mkdirSync('dist/cjs');
for (const name of ENTRIES) writeFileSync(`dist/cjs/${name}.js`, `'use strict';\nmodule.exports = require("../esm/${name}.js");\n`);
// The package is "type": "module"; this marker makes Node read dist/cjs as CommonJS.
writeFileSync('dist/cjs/package.json', JSON.stringify({ type: 'commonjs' }) + '\n');
