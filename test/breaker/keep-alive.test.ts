import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, root, runNode } from '../examples/child.js';

// A plain script whose only pending work is an awaited execute(): Node exits as soon as nothing
// ref'd is left, so an unref'd retry wait or call timer would end it mid-call (exit code 13,
// "unsettled top-level await"). These scripts import the BUILT package (npm test builds first).
const dist = pathToFileURL(join(root, 'dist/esm/index.js')).href;
let dir: string;

beforeAll(() => {
  assertBuilt();
  dir = mkdtempSync(join(tmpdir(), 'breakwater-keep-alive-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function script(name: string, body: string): string {
  const file = join(dir, name);
  writeFileSync(file, `import { CircuitBreaker } from ${JSON.stringify(dist)};\n${body}`);
  return file;
}

const liveTimeouts = "process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length";

describe('an awaited execute() keeps a script alive until it settles', () => {
  it('through the retry back-off waits', async () => {
    const file = script(
      'retry.mjs',
      `
const b = new CircuitBreaker({ name: 'flaky' });
let calls = 0;
async function failTwiceThenSucceed() {
  calls++;
  if (calls < 3) throw new Error('fail ' + calls);
  return 'ok';
}
const result = await b.execute(failTwiceThenSucceed, { retry: { attempts: 3, baseDelayMs: 50 } });
console.log('result: ' + result + ' after ' + calls + ' calls, timers left: ' + ${liveTimeouts});
`,
    );
    const { code, stdout, stderr } = await runNode([file]);
    expect(stderr).toBe('');
    expect(stdout).toBe('result: ok after 3 calls, timers left: 0\n');
    expect(code).toBe(0);
  });

  it('until the call timeout fires when the function hangs', async () => {
    const file = script(
      'timeout.mjs',
      `
const b = new CircuitBreaker({ name: 'hangs' });
try {
  await b.execute(() => new Promise(() => {}), { callTimeoutMs: 100 });
} catch (err) {
  console.log('rejected: ' + err.code + ', timers left: ' + ${liveTimeouts});
}
`,
    );
    const { code, stdout, stderr } = await runNode([file]);
    expect(stderr).toBe('');
    expect(stdout).toBe('rejected: ETIMEDOUT, timers left: 0\n');
    expect(code).toBe(0);
  });
});
