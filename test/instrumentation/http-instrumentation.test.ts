// node:http protection through BreakwaterInstrumentation itself: created, it protects requests;
// disabled, it unpatches cleanly; enabled again, it protects again with the same breakers.
import http from 'node:http';
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { suppressTracing } from '@opentelemetry/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CircuitOpenError } from '../../src/breaker/errors.js';
import { isHttpPatched } from '../../src/instrumentation/http.js';
import { BreakwaterInstrumentation } from '../../src/instrumentation/instrumentation.js';
import { errorOf, settle } from './http-calls.js';
import { startTestServer, type TestServer } from './servers.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

describe('BreakwaterInstrumentation and node:http', () => {
  it('protects requests once created, unpatches on disable and patches again on enable', async () => {
    expect(isHttpPatched()).toBe(false);
    const inst = new BreakwaterInstrumentation({ breaker: { failureThreshold: 2, openTimeoutMs: 60_000 }, instrument: ['http'] });
    try {
      expect(isHttpPatched()).toBe(true);
      const key = `127.0.0.1:${server.port}`;
      server.fail(503);
      for (let i = 0; i < 2; i++) expect((await settle(http.get(server.origin))).status).toBe(503);
      const breaker = inst.registry.peek(key);
      expect(breaker?.state).toBe('open');
      expect(breaker?.attributes).toMatchObject({ 'server.address': '127.0.0.1', 'server.port': server.port });

      const before = server.connections;
      const err = await errorOf(http.get(server.origin));
      expect(err).toBeInstanceOf(CircuitOpenError);
      expect(server.connections).toBe(before);

      inst.disable();
      expect(isHttpPatched()).toBe(false);
      expect((http.Agent.prototype as unknown as { addRequest: () => void }).addRequest.name).toBe('addRequest');
      expect((await settle(http.get(server.origin))).status).toBe(503); // reaches the server again
      expect(breaker?.metrics.totalCalls).toBe(3);

      inst.enable();
      expect(isHttpPatched()).toBe(true);
      expect((await errorOf(http.get(server.origin))).code).toBe('ECIRCUITOPEN');
      expect(breaker?.metrics).toMatchObject({ failedCalls: 2, rejectedCalls: 2, totalCalls: 4 });
    } finally {
      inst.disable();
      http.globalAgent.destroy();
      server.dropConnections();
    }
    expect(isHttpPatched()).toBe(false);
  });

  it('leaves excluded destinations and OTel exporter traffic (suppressed context) alone', async () => {
    const other = await startTestServer();
    const contextManager = new AsyncLocalStorageContextManager().enable();
    context.setGlobalContextManager(contextManager);
    const inst = new BreakwaterInstrumentation({ excludeHosts: [`127.0.0.1:${server.port}`], instrument: ['http'] });
    try {
      server.recover();
      expect((await settle(http.get(server.origin))).status).toBe(200);
      expect(inst.registry.peek(`127.0.0.1:${server.port}`)).toBeUndefined();
      await context.with(suppressTracing(context.active()), () => settle(http.get(other.origin)));
      expect(inst.registry.peek(`127.0.0.1:${other.port}`)).toBeUndefined();
      // ...while the same destination outside the suppressed context is protected.
      expect((await settle(http.get(other.origin))).status).toBe(200);
      expect(inst.registry.peek(`127.0.0.1:${other.port}`)?.metrics.successfulCalls).toBe(1);
    } finally {
      inst.disable();
      context.disable();
      http.globalAgent.destroy();
      await other.close();
    }
  });
});
