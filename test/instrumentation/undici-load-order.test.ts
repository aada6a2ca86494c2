// The undici package loaded only after the patch is enabled (a fresh test process).
// - Node 24: its bundled undici 7 fills both dispatcher slots (at the latest when enable() wakes it);
//   the package finds its slot taken and uses the protected dispatcher as it is.
// - Node 22: the bundled undici 6 knows only the legacy slot, so undici 8 installs a new Agent of
//   its own when it loads; breakwater protects it once a request reveals it (the revealing request
//   itself goes through unprotected).
import { afterAll, expect, it } from 'vitest';
import { CircuitOpenError } from '../../src/breaker/errors.js';
import { unprotectedDispatcher } from '../../src/instrumentation/undici-dispatcher.js';
import { fetchHarness, LEGACY_SLOT, slot } from './fetch-harness.js';
import { startTestServer } from './servers.js';

const h = fetchHarness({ failureThreshold: 2 });
afterAll(() => h.disable());

it('protects the undici package when it is loaded after enable', async () => {
  h.enable();
  expect(unprotectedDispatcher(slot(LEGACY_SLOT))).toBeDefined();
  const undici = await import('undici');
  const server = await startTestServer();
  try {
    await (await undici.request(`${server.origin}/warm-up`)).body.dump();
    expect(unprotectedDispatcher(undici.getGlobalDispatcher())).toBeDefined();
    expect(unprotectedDispatcher(slot(LEGACY_SLOT))).toBeDefined();

    server.fail(500, { connection: 'close' });
    await (await undici.request(server.origin)).body.dump();
    await (await fetch(server.origin)).text();
    expect(h.breaker(server.port).state).toBe('open');
    const connections = server.connections;
    expect(await undici.request(server.origin).catch((e: unknown) => e)).toBeInstanceOf(CircuitOpenError);
    expect(((await fetch(server.origin).catch((e: unknown) => e)) as { cause?: unknown }).cause).toBeInstanceOf(CircuitOpenError);
    expect(server.connections).toBe(connections);
  } finally {
    await server.close();
  }
});
