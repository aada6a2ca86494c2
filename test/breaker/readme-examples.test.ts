import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { describeReadmeExamples, readmeSection, REPO_ROOT, tsExamples } from '../readme-blocks.js';

/**
 * Runs every ```ts example of the README sections this part owns, as written, against the source
 * (its breakwater imports are pointed at src/). Each `// → text` comment is an expected console.log
 * line, in order, so an example that drifts from the code fails here.
 */
const entry = join(REPO_ROOT, 'src/index.ts');
const workDir = mkdtempSync(join(tmpdir(), 'breakwater-readme-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

const SECTIONS = ['quick-start', 'breaker'];

describeReadmeExamples(SECTIONS, workDir);

describe('README examples type-check', () => {
  it('compiles every example against the public types, as a user would', () => {
    const dir = join(workDir, 'typecheck');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }');
    const files = SECTIONS.flatMap((name) =>
      tsExamples(readmeSection(name)).map((code, i) => {
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
      typeRoots: [join(REPO_ROOT, 'node_modules/@types')],
      paths: { breakwater: [entry], 'breakwater/instrumentation': [join(REPO_ROOT, 'src/instrumentation.ts')] },
    });
    const problems = ts
      .getPreEmitDiagnostics(program)
      .filter((d) => d.file !== undefined && files.includes(d.file.fileName))
      .map((d) => `${d.file!.fileName}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    expect(problems).toEqual([]);
  }, 60_000);
});
