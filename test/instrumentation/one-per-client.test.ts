// At most one enabled BreakwaterInstrumentation per client: a second one on the same client is
// refused at construction (or enable) with a ConfigError naming `instrument`; one on other clients,
// or one enabled after the first was disabled, protects with its own breakers.
import http from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/common/config-error.js';
import { BreakwaterInstrumentation } from '../../src/instrumentation/instrumentation.js';
import { isHttpPatched } from '../../src/instrumentation/http.js';
import { unwrap } from '../../src/instrumentation/wrap.js';
import { settle } from './http-calls.js';
import { fetchOutcome, statusServer, type StatusServer } from './instrumentation-harness.js';

let server: StatusServer;
let live: BreakwaterInstrumentation[] = [];
beforeAll(async () => {
  server = await statusServer();
});
afterAll(() => server.close());
afterEach(() => {
  for (const inst of live) inst.disable();
  live = [];
  http.globalAgent.destroy();
});

function instrumentation(config: ConstructorParameters<typeof BreakwaterInstrumentation>[0]): BreakwaterInstrumentation {
  const inst = new BreakwaterInstrumentation(config);
  live.push(inst);
  return inst;
}

function errorOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

describe('one enabled BreakwaterInstrumentation per client', () => {
  it('refuses a second one on a client already protected, naming the option and the client; the first keeps protecting', async () => {
    const first = instrumentation({ instrument: ['http', 'fetch'] });
    const err = errorOf(() => instrumentation({ instrument: ['grpc', 'http'] }));
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).option).toBe('instrument');
    expect((err as Error).message).toBe(
      'BreakwaterInstrumentation: option "instrument" must be clients no other enabled BreakwaterInstrumentation protects ' +
        '(http: already protected by one in this process; disable it first, or leave http out of instrument), got ["grpc","http"]',
    );
    const idle = instrumentation({ instrument: ['fetch'], enabled: false });
    expect(() => idle.enable()).toThrow(/"instrument".*\(fetch: already protected.*got \["fetch"\]/);

    expect((await settle(http.get(server.origin))).status).toBe(200);
    expect(first.registry.peek(`127.0.0.1:${server.port}`)?.metrics.successfulCalls).toBe(1);
  });

  it('lets instrumentations on different clients each protect with their own breakers', async () => {
    const onHttp = instrumentation({ instrument: ['http'] });
    const onFetch = instrumentation({ instrument: ['fetch'] });
    const key = `127.0.0.1:${server.port}`;
    expect((await settle(http.get(server.origin))).status).toBe(200);
    expect(await fetchOutcome(server.origin)).toBe(200);
    expect(await fetchOutcome(server.origin)).toBe(200);
    expect(onHttp.registry.peek(key)?.metrics.successfulCalls).toBe(1);
    expect(onFetch.registry.peek(key)?.metrics.successfulCalls).toBe(2);
  });

  it('a second one enabled after the first was disabled protects http with its own breakers, even when another patch sits on top', async () => {
    const first = instrumentation({ instrument: ['http'] });
    const agent = http.Agent.prototype as unknown as { addRequest: (...args: unknown[]) => void };
    // Another tool wraps addRequest over breakwater's, so breakwater's wrapper stays in the chain.
    const below = agent.addRequest;
    agent.addRequest = function addRequest(this: unknown, ...args: unknown[]) {
      return below.apply(this, args);
    };
    try {
      first.disable();
      expect(isHttpPatched()).toBe(false);
      const second = instrumentation({ instrument: ['http'], breaker: { failureThreshold: 1, openTimeoutMs: 60_000 } });
      const key = `127.0.0.1:${server.port}`;
      server.status = 503;
      expect((await settle(http.get(server.origin))).status).toBe(503);
      expect(second.registry.peek(key)?.state).toBe('open');
      expect(first.registry.peek(key)).toBeUndefined();
      expect((await settle(http.get(server.origin)).catch((e: Error & { code?: string }) => e.code))).toBe('ECIRCUITOPEN');
      second.disable();
      expect((await settle(http.get(server.origin))).status).toBe(503); // passes through the inactive wrapper
    } finally {
      server.status = 200;
      agent.addRequest = below;
      unwrap(agent, 'addRequest'); // breakwater's wrapper is on top again: the original comes back
    }
    expect(isHttpPatched()).toBe(false);
    expect(agent.addRequest.name).toBe('addRequest');
    expect(agent.addRequest).not.toBe(below);
  });

  it('frees its clients on disable(): another may then take them', () => {
    const first = instrumentation({ instrument: ['grpc'] });
    first.disable();
    const second = instrumentation({ instrument: ['grpc'] });
    expect(() => first.enable()).toThrow(ConfigError);
    second.disable();
    first.enable();
  });
});
