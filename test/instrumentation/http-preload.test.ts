// Zero-code: an ESM app (named imports from node:http) and a CJS app, started with
// `--import breakwater/register` / `--require breakwater/register` from the BUILT package
// (run `npm run build` first; `npm test` does), get a breaker per destination without a line of code.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './servers.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));
const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
const register = { esm: `${root}dist/esm/register.js`, cjs: `${root}dist/cjs/register.js` };

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());
beforeEach(() => {
  server.fail(503);
  server.resetCounts();
});

const cases = [
  { app: 'http-app.mjs', flag: '--import', preload: register.esm },
  { app: 'http-app.cjs', flag: '--require', preload: register.cjs },
  { app: 'http-app.cjs', flag: '--import', preload: register.esm },
];

describe.each(cases)('$app with $flag register', ({ app, flag, preload }) => {
  it('fails fast once the destination\'s breaker opens, with no request reaching the server', async () => {
    expect(existsSync(preload), `${preload} missing: run npm run build`).toBe(true);
    const { stdout } = await run(process.execPath, [flag, preload, fixture(app)], {
      env: {
        ...process.env,
        TARGET_URL: `${server.origin}/app`,
        CALLS: '6',
        BREAKWATER_FAILURE_THRESHOLD: '3',
        BREAKWATER_OPEN_TIMEOUT_MS: '60000',
        OTEL_METRICS_EXPORTER: 'none',
        OTEL_TRACES_EXPORTER: 'none',
        OTEL_LOGS_EXPORTER: 'none',
      },
      timeout: 15_000,
    });
    const results = JSON.parse(stdout.trim().split('\n').at(-1)!) as unknown[];
    expect(results).toEqual([503, 503, 503, 'ECIRCUITOPEN', 'ECIRCUITOPEN', 'ECIRCUITOPEN']);
    expect(server.requests).toBe(3);
  });
});
