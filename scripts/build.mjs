// Builds one copy of the package: ES modules in dist/esm, with .d.ts. `require('breakwater')`
// loads the same modules (Node >= 22.12 can require() ES modules), so state and classes are shared
// whatever mix of import and require an app uses. dist/cjs holds one-line CommonJS paths onto
// them, for `node --require …/dist/cjs/register.js` and other by-path loads.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
rmSync('dist', { recursive: true, force: true });
try {
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { stdio: 'inherit' });
} catch {
  console.error('build: tsc -p tsconfig.json failed (errors above)');
  process.exit(1);
}

const modules = readdirSync('dist/esm', { recursive: true }).filter((f) => f.endsWith('.js'));
for (const file of modules) {
  const target = join('dist/cjs', file);
  mkdirSync(dirname(target), { recursive: true });
  const esm = relative(dirname(target), join('dist/esm', file)).replaceAll('\\', '/');
  writeFileSync(target, `'use strict';\nmodule.exports = require(${JSON.stringify(esm)});\n`);
}
// The package is "type": "module"; this marker makes Node read dist/cjs as CommonJS.
writeFileSync('dist/cjs/package.json', JSON.stringify({ type: 'commonjs' }) + '\n');
