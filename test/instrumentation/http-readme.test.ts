// The README's node:http example (section "clients"), run as written against a real server that
// answers 503, with `--import breakwater/register` from the built package; its output must be the
// README's "Output:" block. Only the destination is swapped for the test server.
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './servers.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));

function readmeExample(): { code: string; output: string[] } {
  const readme = readFileSync(`${root}README.md`, 'utf8');
  const start = readme.indexOf('<!-- example:http-client -->');
  expect(start, 'README example marker').toBeGreaterThan(0);
  const rest = readme.slice(start);
  const code = /```js\n([\s\S]*?)```/.exec(rest)![1]!;
  const output = /Output:\n\n```\n([\s\S]*?)```/.exec(rest)![1]!.trim().split('\n');
  return { code, output };
}

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
  server.fail(503);
});
afterAll(() => server.close());

it('the README node:http example prints what the README says, and open requests never reach the server', async () => {
  const { code, output } = readmeExample();
  const destination = `127.0.0.1:${server.port}`;
  // Inside the package so that `axios` resolves from its node_modules.
  const dir = `${root}node_modules/.cache/breakwater-readme`;
  mkdirSync(dir, { recursive: true });
  const app = `${dir}/http-client-example.mjs`;
  writeFileSync(app, code.replaceAll('http://inventory.internal:8080', server.origin));
  const { stdout } = await run(process.execPath, ['--import', `${root}dist/esm/register.js`, app], {
    env: { ...process.env, OTEL_METRICS_EXPORTER: 'none', OTEL_TRACES_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' },
    timeout: 15_000,
  });
  const lines = stdout.trim().split('\n');
  const expected = output.map((line) => line.replaceAll('inventory.internal:8080', destination));
  expect(lines).toHaveLength(expected.length);
  lines.forEach((line, i) => {
    // The time left in the open wait depends on how long the example took to get there.
    const pattern = expected[i]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/retry in \d+ ms/, 'retry in \\d+ ms');
    expect(line).toMatch(new RegExp(`^${pattern}$`));
  });
  expect(server.requests).toBe(5);
});
