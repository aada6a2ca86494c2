/**
 * Runs one README example of the clients section in this test process, against the sources:
 * its breakwater imports are pointed at the sources and destinations are swapped for loopback servers. The
 * file is written inside the repository so that the example's own imports (undici, grpc-js)
 * resolve as they would in an application.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { BreakwaterInstrumentation } from '../../src/instrumentation/instrumentation.js';
import { onSources, printedBy, REPO_ROOT } from '../readme-blocks.js';

const dir = `${REPO_ROOT}test/instrumentation/.readme-${process.pid}/`;

/** Every instrumentation enabled from now on, so that the test can disable what an example left on. */
export function trackInstrumentations(): { disableAll(): void; restore(): void } {
  const created = new Set<BreakwaterInstrumentation>();
  const enable = BreakwaterInstrumentation.prototype.enable;
  BreakwaterInstrumentation.prototype.enable = function (this: BreakwaterInstrumentation) {
    created.add(this);
    enable.call(this);
  };
  return {
    disableAll() {
      for (const inst of created) inst.disable();
      created.clear();
    },
    restore() {
      BreakwaterInstrumentation.prototype.enable = enable;
    },
  };
}

/**
 * Writes `code` (with each `[from, to]` replacement applied) as `name`.mjs, imports it and returns
 * what it printed with console.log.
 */
export async function runExample(name: string, code: string, replacements: [string, string][]): Promise<string[]> {
  let runnable = onSources(code);
  for (const [from, to] of replacements) runnable = runnable.replaceAll(from, to);
  mkdirSync(dir, { recursive: true });
  const file = `${dir}${name}.mjs`;
  writeFileSync(file, runnable);
  return printedBy(file);
}

export function removeExamples(): void {
  rmSync(dir, { recursive: true, force: true });
}
