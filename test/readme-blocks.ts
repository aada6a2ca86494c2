/**
 * Shared by the tests that run README examples: finds a section's code blocks, reads the output
 * each block promises, and captures what running it prints.
 *
 * Conventions of the README (what these helpers rely on):
 * - sections are delimited by `<!-- section:NAME -->` … `<!-- /section:NAME -->` (or `subsection:`);
 * - in an example, every `// → text` comment is one line the example prints with console.log, in
 *   order, exactly.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { format } from 'node:util';
import { describe, expect, it, vi } from 'vitest';

/** The repository root, with a trailing slash. */
export const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));

export function readme(): string {
  return readFileSync(`${REPO_ROOT}README.md`, 'utf8');
}

/** The text between `<!-- section:NAME -->` and its end marker (`kind: 'subsection'` for those). */
export function readmeSection(name: string, kind: 'section' | 'subsection' = 'section'): string {
  const text = readme();
  const start = text.indexOf(`<!-- ${kind}:${name} -->`);
  const end = text.indexOf(`<!-- /${kind}:${name} -->`);
  if (start === -1 || end === -1 || end < start) throw new Error(`README has no ${kind} "${name}"`);
  return text.slice(start, end);
}

export interface CodeBlock {
  lang: string;
  code: string;
}

/** The fenced code blocks of `text` whose language is one of `langs`, in order. */
export function codeBlocks(text: string, langs: readonly string[]): CodeBlock[] {
  return [...text.matchAll(/```(\w*)\n([\s\S]*?)```/g)]
    .filter((m) => langs.includes(m[1]!))
    .map((m) => ({ lang: m[1]!, code: m[2]! }));
}

/** The ```ts blocks of `text`. */
export function tsExamples(text: string): string[] {
  return codeBlocks(text, ['ts']).map((b) => b.code);
}

/** The lines an example says it prints: its `// → text` comments, in order. */
export function expectedLines(code: string): string[] {
  return [...code.matchAll(/\/\/ → (.*)$/gm)].map((m) => m[1]!.trimEnd());
}

/** A short title for a test: the example's first line that is not blank or an import. */
export function exampleTitle(code: string): string {
  return (code.split('\n').find((l) => l.trim() && !l.startsWith('import')) ?? '').slice(0, 60);
}

/** Imports `file` (an example written to disk) and returns every console.log line it printed. */
export async function printedBy(file: string): Promise<string[]> {
  const printed: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    printed.push(format(...args));
  });
  try {
    await import(/* @vite-ignore */ file);
  } finally {
    log.mockRestore();
  }
  return printed;
}

/** `code` with its imports of `'breakwater'` and `'breakwater/instrumentation'` pointed at the sources. */
export function onSources(code: string): string {
  return code
    .replaceAll(`from 'breakwater/instrumentation'`, `from ${JSON.stringify(`${REPO_ROOT}src/instrumentation.ts`)}`)
    .replaceAll(`from 'breakwater'`, `from ${JSON.stringify(`${REPO_ROOT}src/index.ts`)}`);
}

/**
 * One test per ```ts example of each section: written to `workDir` with its breakwater imports
 * pointed at the sources, run, and its console.log lines compared with its `// → text` comments.
 */
export function describeReadmeExamples(sections: readonly string[], workDir: string): void {
  for (const name of sections) {
    describe(`README section "${name}"`, () => {
      const blocks = tsExamples(readmeSection(name));
      it('has examples', () => {
        expect(blocks.length).toBeGreaterThan(0);
      });
      blocks.forEach((code, i) => {
        it(`example ${i + 1}: ${exampleTitle(code)}`, async () => {
          const file = join(workDir, `${name}-${i + 1}.ts`);
          writeFileSync(file, onSources(code));
          const printed = await printedBy(file);
          expect(printed).toEqual(expectedLines(code));
        });
      });
    });
  }
}
