import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { format } from 'node:util';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';

// Runs every js example of README's `health` section against the sources, on loopback and
// ephemeral ports, and checks what each `console.log(...); // text` line says it prints.
const root = fileURLToPath(new URL('../../', import.meta.url));
const readme = readFileSync(`${root}README.md`, 'utf8');
const section = readme.slice(readme.indexOf('<!-- section:health -->'), readme.indexOf('<!-- /section:health -->'));
const blocks = [...section.matchAll(/```(js|yaml)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1]!, code: m[2]! }));
const tmp = `${root}test/health/.readme-${process.pid}/`;

function runnable(code: string): string {
  return code
    .replaceAll("from 'breakwater'", `from '${root}src/index.ts'`)
    .replaceAll('{ port: 8081 }', "{ port: 0, host: '127.0.0.1' }")
    .replaceAll('{ port: 9464 }', "{ port: 0, host: '127.0.0.1' }")
    .replaceAll('app.listen(8081)', "app.listen(0, '127.0.0.1')")
    .replaceAll("'0.0.0.0:50051'", "'127.0.0.1:0'");
}

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('README health examples', () => {
  it('has examples', () => {
    expect(blocks.filter((b) => b.lang === 'js').length).toBeGreaterThanOrEqual(5);
  });

  for (const [i, block] of blocks.entries()) {
    const title = block.code.split('\n').find((l) => l.startsWith('import {') || l.includes(':')) ?? '';
    it(`example ${i + 1} runs (${title.slice(0, 60)})`, async () => {
      if (block.lang === 'yaml') {
        const probes = parse(block.code);
        expect(probes.livenessProbe.httpGet.path).toBe('/livez');
        expect(probes.readinessProbe.httpGet.path).toBe('/readyz');
        return;
      }
      mkdirSync(tmp, { recursive: true });
      const file = `${tmp}example-${i + 1}.mjs`;
      writeFileSync(file, runnable(block.code));
      const printed: string[] = [];
      const spy = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void printed.push(format(...args)));
      try {
        await import(/* @vite-ignore */ file);
      } finally {
        spy.mockRestore();
      }
      const promised = [...block.code.matchAll(/console\.log\(.*\);\s*\/\/ (.*)$/gm)].map((m) => m[1]!);
      for (const comment of promised) {
        expect(printed.some((p) => p.length > 0 && comment.startsWith(p)), `prints "${comment}" (printed: ${JSON.stringify(printed)})`).toBe(true);
      }
    });
  }
});
