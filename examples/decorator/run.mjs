// Compiles payments.ts with TypeScript's transpileModule (which lowers the standard decorators to
// code Node runs) and runs it:   node examples/decorator/run.mjs
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';

const source = readFileSync(new URL('./payments.ts', import.meta.url), 'utf8');
const { outputText } = ts.transpileModule(source, {
  fileName: 'payments.ts',
  compilerOptions: { target: ts.ScriptTarget.ES2023, module: ts.ModuleKind.ESNext },
});
// The compiled module runs from a temporary directory, outside this package, where the bare
// specifier 'breakwater' does not resolve: point it at the package this script resolves.
const compiled = outputText.replaceAll(`from 'breakwater'`, `from '${import.meta.resolve('breakwater')}'`);
const dir = mkdtempSync(join(tmpdir(), 'breakwater-decorator-'));
try {
  const file = join(dir, 'payments.mjs');
  writeFileSync(file, compiled);
  const { main } = await import(pathToFileURL(file).href);
  await main();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
