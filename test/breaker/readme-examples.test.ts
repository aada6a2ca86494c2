import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { format } from 'node:util';
import ts from 'typescript';
import { afterAll, describe, expect, it, vi } from 'vitest';

/**
 * Runs every ```ts example of the README sections this part owns, as written, against the source
 * (`'breakwater'` is pointed at src/index.ts). Each `// → text` comment is an expected console.log
 * line, in order, so an example that drifts from the code fails here.
 */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const entry = join(root, 'src/index.ts');
const workDir = mkdtempSync(join(tmpdir(), 'breakwater-readme-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

function section(name: string): string {
  const start = readme.indexOf(`<!-- section:${name} -->`);
  const end = readme.indexOf(`<!-- /section:${name} -->`);
  if (start === -1 || end === -1) throw new Error(`README has no section "${name}"`);
  return readme.slice(start, end);
}

function examples(text: string): string[] {
  return [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

function expectedLines(code: string): string[] {
  return [...code.matchAll(/\/\/ → (.*)$/gm)].map((m) => m[1]!.trimEnd());
}

const SECTIONS = ['quick-start', 'breaker'];

for (const name of SECTIONS) {
  describe(`README section "${name}"`, () => {
    const blocks = examples(section(name));
    it('has examples', () => {
      expect(blocks.length).toBeGreaterThan(0);
    });
    blocks.forEach((code, i) => {
      const firstLine = code.split('\n').find((l) => l.trim() && !l.startsWith('import')) ?? '';
      it(`example ${i + 1}: ${firstLine.slice(0, 60)}`, async () => {
        const file = join(workDir, `${name}-${i + 1}.ts`);
        writeFileSync(file, code.replaceAll(`from 'breakwater'`, `from ${JSON.stringify(entry)}`));
        const printed: string[] = [];
        const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
          printed.push(format(...args));
        });
        try {
          await import(/* @vite-ignore */ file);
        } finally {
          log.mockRestore();
        }
        expect(printed).toEqual(expectedLines(code));
      });
    });
  });
}

describe('README examples type-check', () => {
  it('compiles every example against the public types, as a user would', () => {
    const dir = join(workDir, 'typecheck');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }');
    const files = SECTIONS.flatMap((name) =>
      examples(section(name)).map((code, i) => {
        const file = join(dir, `${name}-${i + 1}.ts`);
        writeFileSync(file, `${code}\nexport {};\n`);
        return file;
      }),
    );
    const program = ts.createProgram(files, {
      target: ts.ScriptTarget.ES2023,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      types: ['node'],
      typeRoots: [join(root, 'node_modules/@types')],
      paths: { breakwater: [entry] },
    });
    const problems = ts
      .getPreEmitDiagnostics(program)
      .filter((d) => d.file !== undefined && files.includes(d.file.fileName))
      .map((d) => `${d.file!.fileName}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    expect(problems).toEqual([]);
  }, 60_000);
});
