/**
 * The README's global fetch / undici example (clients section, subsection "fetch"), run as written
 * (ESM) against a real loopback server that answers 503: it must print its `// → ` lines, and the
 * requests the open breaker refused must never reach the server.
 */
import { afterAll, afterEach, expect, it } from 'vitest';
import { codeBlocks, expectedLines, readmeSection } from '../readme-blocks.js';
import { removeExamples, runExample, trackInstrumentations } from './readme-example.js';
import { startTestServer, type TestServer } from './servers.js';

const tracked = trackInstrumentations();
let server: TestServer | undefined;
afterEach(async () => {
  tracked.disableAll();
  await server?.close();
});
afterAll(() => {
  tracked.restore();
  removeExamples();
});

it('the fetch example prints what it says, and the open breaker sends nothing', async () => {
  const blocks = codeBlocks(readmeSection('fetch', 'subsection'), ['js']);
  expect(blocks).toHaveLength(1);
  const { code } = blocks[0]!;
  expect(code).toMatch(/^import /); // ESM, as an application would write it
  expect(code).not.toContain('require(');

  server = await startTestServer();
  server.fail(503);
  const destination = `127.0.0.1:${server.port}`;
  const printed = await runExample('fetch', code, [['orders.internal:8080', destination]]);
  const expected = expectedLines(code).map((line) => line.replaceAll('orders.internal:8080', destination));
  expect(expected).toHaveLength(2);
  expect(printed).toEqual(expected);
  expect(server.requests).toBe(2); // the third fetch and undici's request were refused
});
