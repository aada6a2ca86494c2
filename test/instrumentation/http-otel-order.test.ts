// BreakwaterInstrumentation next to @opentelemetry/instrumentation-http, created in either order
// (each order in a fresh process: OTel's require hook keeps state per process). Both must work:
// a span per request, rejected ones included, and the breaker trips. Needs the built package.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './servers.js';

const run = promisify(execFile);
const script = fileURLToPath(new URL('../fixtures/http-otel-order.mjs', import.meta.url));

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
  server.fail(500);
});
afterAll(() => server.close());

describe.each(['breakwater-first', 'otel-first'])('%s', (order) => {
  it('keeps instrumentation-http spans and breakwater breakers', async () => {
    const before = server.requests;
    const { stdout } = await run(process.execPath, [script, order], {
      env: { ...process.env, TARGET_URL: `${server.origin}/order` },
      timeout: 15_000,
    });
    expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toEqual({
      results: [500, 500, 'ECIRCUITOPEN'],
      clientSpans: 3,
      otelPatched: true,
    });
    expect(server.requests - before).toBe(2);
  });
});
