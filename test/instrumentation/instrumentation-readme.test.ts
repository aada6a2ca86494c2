import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { format } from 'node:util';
import { metrics, trace } from '@opentelemetry/api';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { BreakwaterInstrumentation } from '../../src/instrumentation/instrumentation.js';

/**
 * Runs every ```ts example of the README sections "instrumentation" and "telemetry", as written,
 * against the source ('breakwater' points at src/index.ts). Each `// → text` comment is an expected
 * console.log line, in order.
 */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const entry = join(root, 'src/index.ts');
const workDir = mkdtempSync(join(tmpdir(), 'breakwater-readme-instr-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));
// An example that leaves its instrumentation enabled (as an application would) must not lend its
// patches to the next one, so each is disabled after its example.
const created = new Set<BreakwaterInstrumentation>();
const enable = BreakwaterInstrumentation.prototype.enable;
BreakwaterInstrumentation.prototype.enable = function (this: BreakwaterInstrumentation) {
  created.add(this);
  enable.call(this);
};
afterEach(() => {
  for (const inst of created) inst.disable();
  created.clear();
  metrics.disable();
  trace.disable();
});

function section(name: string): string {
  const start = readme.indexOf(`<!-- section:${name} -->`);
  const end = readme.indexOf(`<!-- /section:${name} -->`);
  if (start === -1 || end === -1) throw new Error(`README has no section "${name}"`);
  return readme.slice(start, end);
}

const examples = (text: string): string[] => [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
const expectedLines = (code: string): string[] => [...code.matchAll(/\/\/ → (.*)$/gm)].map((m) => m[1]!.trimEnd());

for (const name of ['instrumentation', 'telemetry']) {
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
