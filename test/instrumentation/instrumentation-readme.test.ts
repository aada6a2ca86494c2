import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { metrics, trace } from '@opentelemetry/api';
import { afterAll, afterEach } from 'vitest';
import { BreakwaterInstrumentation } from '../../src/instrumentation/instrumentation.js';
import { describeReadmeExamples } from '../readme-blocks.js';

/**
 * Runs every ```ts example of the README sections "instrumentation" and "telemetry", as written,
 * against the sources (its breakwater imports point at src/). Each `// → text` comment is an expected
 * console.log line, in order.
 */
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

describeReadmeExamples(['instrumentation', 'telemetry'], workDir);
