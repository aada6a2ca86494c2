/**
 * A destination that accepts requests and never answers, reached through real client libraries
 * and every way a caller gives up: the breaker must open, and the next call must fail fast without
 * reaching the server. Each client times out the way it does in the wild (ky and node-fetch by
 * aborting the fetch, superagent and needle by aborting or destroying the request), so this is
 * the rule of abandoned-call.ts as users meet it. A cancel within the abort grace stays ignored.
 *
 * Time: the clients' own timers run for real (150 ms, against a grace of 50 ms: a request can only
 * be given up on later than its timer, so the outcome never depends on the machine's speed); the
 * breakers run on a manual clock where the test needs time to pass (open waits, slow calls).
 */
import http from 'node:http';
import { createRequire } from 'node:module';
import type * as Grpc from '@grpc/grpc-js';
import ky from 'ky';
import needle from 'needle';
import nodeFetch from 'node-fetch';
import superagent from 'superagent';
import { request as undiciRequest } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { CircuitBreaker } from '../../src/breaker/circuit-breaker.js';
import { CallTimeoutError } from '../../src/breaker/errors.js';
import type { BreakwaterInstrumentationConfig } from '../../src/instrumentation/types.js';
import { BreakwaterInstrumentation } from '../../src/instrumentation/instrumentation.js';
import { grpcModuleDefinitions } from '../../src/instrumentation/grpc.js';
import { startCall } from './grpc-calls.js';
import { makeTestContext } from './grpc-context.js';
import { loadEchoClient, startGrpcTestServer, type GrpcTestServer } from './grpc-test-server.js';
import { startTestServer, type TestServer } from './servers.js';
import { ManualClock } from '../breaker/helpers.js';

const TIMEOUT_MS = 150;
const GRACE_MS = 50;

let server: TestServer;
let live: BreakwaterInstrumentation | undefined;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());
afterEach(() => {
  live?.disable();
  live = undefined;
  http.globalAgent.destroy();
  server.dropConnections();
  server.recover();
  server.resetCounts();
});

function protect(config: BreakwaterInstrumentationConfig = {}, clock = new ManualClock()): { breaker(): CircuitBreaker; clock: ManualClock } {
  live = new BreakwaterInstrumentation({
    instrument: ['http', 'fetch'],
    abortGraceMs: GRACE_MS,
    ...config,
    breaker: { failureThreshold: 2, openTimeoutMs: 60_000, clock, ...config.breaker },
  });
  live.enable();
  const key = `127.0.0.1:${server.port}`;
  return {
    clock,
    breaker: () => {
      const b = [...live!.registry].find((x) => x.name === key);
      if (!b) throw new Error(`no breaker ${key}`);
      return b;
    },
  };
}

/** Resolves with what the call settled with (value or error), never rejects. */
const settle = (p: Promise<unknown>): Promise<unknown> => p.then((v) => v, (e: unknown) => e);

/** The code of an error or of its cause chain (clients wrap the breaker's error differently). */
function codes(err: unknown): string[] {
  const found: string[] = [];
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, i = 0; e && i < 5; e = e.cause as typeof e, i++) {
    if (typeof e.code === 'string') found.push(e.code);
  }
  return found;
}

type GiveUp = { name: string; call(url: string): Promise<unknown> };

// Each: one request to the hung server that the caller abandons after TIMEOUT_MS, its own way.
const giveUps: GiveUp[] = [
  { name: 'ky with its timeout (aborts the fetch)', call: (url) => ky.get(url, { timeout: TIMEOUT_MS, retry: 0 }).text() },
  { name: 'node-fetch 3 with AbortSignal.timeout()', call: (url) => nodeFetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) }) },
  {
    name: 'node-fetch 3 aborted with no reason',
    call: (url) => {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), TIMEOUT_MS);
      return nodeFetch(url, { signal: controller.signal });
    },
  },
  { name: 'superagent with a response timeout (req.abort())', call: (url) => superagent.get(url).timeout({ response: TIMEOUT_MS }) },
  { name: 'needle with a response timeout (req.destroy())', call: (url) => needle('get', url, null, { response_timeout: TIMEOUT_MS }) },
  { name: 'fetch with AbortSignal.timeout()', call: (url) => fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) }) },
  {
    name: 'fetch aborted with a reason',
    call: (url) => {
      const controller = new AbortController();
      setTimeout(() => controller.abort(new Error('gave up')), TIMEOUT_MS);
      return fetch(url, { signal: controller.signal });
    },
  },
  {
    name: 'undici.request aborted with no reason',
    call: (url) => {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), TIMEOUT_MS);
      return undiciRequest(url, { signal: controller.signal });
    },
  },
  {
    name: 'http.get destroyed',
    call: (url) =>
      new Promise((_, reject) => {
        const req = http.get(url).on('error', reject);
        setTimeout(() => req.destroy(), TIMEOUT_MS);
      }),
  },
  {
    name: 'http.get after a socket timeout, then destroy()',
    call: (url) =>
      new Promise((_, reject) => {
        const req = http.get(url).on('error', reject);
        req.setTimeout(TIMEOUT_MS, () => req.destroy());
      }),
  },
];

describe('a hung destination opens its breaker, whichever way the caller gives up', () => {
  it.each(giveUps)('$name', async ({ call }) => {
    const { breaker } = protect();
    server.hang();
    const url = `${server.origin}/hung`;
    for (let i = 0; i < 2; i++) await settle(call(url));
    // Some clients reject before the request they aborted has closed: wait for it to settle.
    await vi.waitFor(() => expect(breaker().inFlight).toBe(0));
    expect(breaker().metrics).toMatchObject({ failedCalls: 2, ignoredCalls: 0 });
    expect(breaker().state).toBe('open');
    const reached = server.requests;
    const rejected = await settle(call(url));
    expect(codes(rejected)).toContain('ECIRCUITOPEN');
    expect(server.requests).toBe(reached);
    expect(breaker().inFlight).toBe(0);
  });
});

describe('a caller that cancels within the grace, or after the response began, says nothing about the destination', () => {
  it('an immediate abort of fetch and of http.get is ignored', async () => {
    const { breaker } = protect({ abortGraceMs: 60_000 });
    server.hang();
    const settled = (n: number) => vi.waitFor(() => expect(breaker().metrics.ignoredCalls).toBe(n));
    for (let i = 0; i < 3; i++) {
      const controller = new AbortController();
      const pending = settle(fetch(`${server.origin}/cancel`, { signal: controller.signal }));
      await server.waitForRequests(2 * i + 1);
      controller.abort();
      await pending;
      await settled(2 * i + 1);
      await new Promise<void>((resolve) => {
        const req = http.get(`${server.origin}/cancel`).on('error', () => resolve());
        void server.waitForRequests(2 * i + 2).then(() => req.destroy());
      });
      await settled(2 * i + 2);
    }
    expect(breaker().state).toBe('closed');
    expect(breaker().metrics).toMatchObject({ failedCalls: 0, ignoredCalls: 6 });
  });

  it('an abort after the headers arrived is ignored however late', async () => {
    const { breaker } = protect();
    // Headers now, the body never: the caller gives up reading it.
    server.ok();
    for (let i = 0; i < 3; i++) {
      const res = await nodeFetch(`${server.origin}/ok`);
      expect(res.status).toBe(200);
    }
    expect(breaker().metrics).toMatchObject({ successfulCalls: 3, failedCalls: 0 });
    const slowBody = http.createServer((_req, res) => {
      res.writeHead(200);
      res.write('partial');
    });
    await new Promise<void>((resolve) => slowBody.listen(0, '127.0.0.1', resolve));
    const port = (slowBody.address() as { port: number }).port;
    for (let i = 0; i < 3; i++) await settle(ky.get(`http://127.0.0.1:${port}/`, { timeout: TIMEOUT_MS, retry: 0 }).text());
    const b = [...live!.registry].find((x) => x.name === `127.0.0.1:${port}`)!;
    expect(b.state).toBe('closed');
    expect(b.metrics.failedCalls).toBe(0);
    slowBody.closeAllConnections();
    slowBody.close();
  });
});

describe('callTimeoutMs aborts protected requests on every client', () => {
  it('http.get with no timeout of its own gets a CallTimeoutError, and the breaker opens', async () => {
    const { breaker } = protect({ breaker: { callTimeoutMs: TIMEOUT_MS } });
    server.hang();
    const errors: unknown[] = [];
    for (let i = 0; i < 2; i++) {
      errors.push(await new Promise((resolve) => http.get(`${server.origin}/t`).on('error', resolve)));
    }
    expect(errors[0]).toBeInstanceOf(CallTimeoutError);
    expect(errors[0]).toMatchObject({ code: 'ETIMEDOUT', timeoutMs: TIMEOUT_MS });
    expect(breaker().state).toBe('open');
  });

  it('fetch rejects with the CallTimeoutError as its cause, and the breaker opens', async () => {
    const { breaker } = protect({ breaker: { callTimeoutMs: TIMEOUT_MS } });
    server.hang();
    const err = await settle(fetch(`${server.origin}/t`));
    expect(codes(err)).toContain('ETIMEDOUT');
    await settle(fetch(`${server.origin}/t`));
    expect(breaker().state).toBe('open');
    expect(breaker().metrics.failedCalls).toBe(2);
  });

  it('a response in time clears the timer: no timeout after it, whatever the body takes', async () => {
    protect({ breaker: { callTimeoutMs: TIMEOUT_MS } });
    // A server of its own: no kept-alive socket of an earlier test in the fetch pool.
    const fresh = await startTestServer();
    try {
      const res = await undiciRequest(`${fresh.origin}/fast`);
      const got = await new Promise<http.IncomingMessage>((resolve, reject) => http.get(`${fresh.origin}/fast`, resolve).on('error', reject));
      await new Promise((resolve) => setTimeout(resolve, TIMEOUT_MS * 2));
      expect(await res.body.text()).toBe('ok');
      got.resume();
      await new Promise((resolve) => got.on('end', resolve));
      const b = [...live!.registry].find((x) => x.name === `127.0.0.1:${fresh.port}`)!;
      expect(b.metrics).toMatchObject({ successfulCalls: 2, failedCalls: 0 });
    } finally {
      await fresh.close();
    }
  });
});

describe('requests that wait past slowCallDurationMs count while they wait (no timeout anywhere)', () => {
  it('two hung requests open the breaker; the third fails fast without reaching the server', async () => {
    const { breaker, clock } = protect({ breaker: { slowCallDurationMs: 1_000 } });
    server.hang();
    const hung = [settle(fetch(`${server.origin}/a`)), settle(nodeFetch(`${server.origin}/b`))];
    await server.waitForRequests(2);
    clock.advance(1_001);
    const rejected = await settle(fetch(`${server.origin}/c`));
    expect(codes(rejected)).toContain('ECIRCUITOPEN');
    expect(server.requests).toBe(2);
    expect(breaker().state).toBe('open');
    server.dropConnections();
    await Promise.all(hung);
    expect(breaker().inFlight).toBe(0);
  });

  it('is on by default for auto-created breakers, from 30 s', async () => {
    const { breaker, clock } = protect();
    server.hang();
    const hung = [settle(fetch(`${server.origin}/a`)), settle(fetch(`${server.origin}/b`))];
    await server.waitForRequests(2);
    clock.advance(29_000);
    const third = settle(fetch(`${server.origin}/c`));
    await server.waitForRequests(3); // not slow yet: it goes through
    clock.advance(1_001);
    expect(codes(await settle(fetch(`${server.origin}/d`)))).toContain('ECIRCUITOPEN');
    expect(breaker().state).toBe('open');
    server.dropConnections();
    await Promise.all([...hung, third]);
  });
});

describe('gRPC: a deadline, a cancel after the grace, and callTimeoutMs count; an early cancel does not', () => {
  const require = createRequire(import.meta.url);
  const grpc = require('@grpc/grpc-js') as typeof Grpc;
  const Echo = loadEchoClient();
  let grpcServer: GrpcTestServer;
  beforeAll(async () => {
    grpcServer = await startGrpcTestServer();
  });
  afterAll(() => grpcServer.close());

  function patched(options: Record<string, unknown> = {}, graceMs = GRACE_MS) {
    const t = makeTestContext({ failureThreshold: 2, openTimeoutMs: 60_000, ...options });
    t.ctx.abortGraceMs = graceMs;
    const [definition] = grpcModuleDefinitions(t.ctx);
    definition!.patch!(grpc);
    const client = new Echo(grpcServer.target, grpc.credentials.createInsecure());
    return {
      t,
      client,
      done: () => {
        client.close();
        definition!.unpatch!(grpc);
        grpcServer.recover();
      },
    };
  }

  it('two unary calls cancelled after the grace open the breaker', async () => {
    const { t, client, done } = patched();
    try {
      grpcServer.hang();
      for (let i = 0; i < 2; i++) {
        const c = startCall('unary', client);
        setTimeout(() => c.call.cancel(), TIMEOUT_MS);
        expect((await c.done).code).toBe(grpc.status.CANCELLED);
      }
      const b = t.breaker(grpcServer.target);
      expect(b.state).toBe('open');
      expect(b.metrics.failedCalls).toBe(2);
    } finally {
      done();
    }
  });

  it('a client deadline counts (DEADLINE_EXCEEDED)', async () => {
    const { t, client, done } = patched();
    try {
      grpcServer.hang();
      for (let i = 0; i < 2; i++) {
        const r = await startCall('unary', client, { deadline: Date.now() + TIMEOUT_MS }).done;
        expect(r.code).toBe(grpc.status.DEADLINE_EXCEEDED);
      }
      expect(t.breaker(grpcServer.target).state).toBe('open');
    } finally {
      done();
    }
  });

  it('callTimeoutMs ends a hung call with DEADLINE_EXCEEDED and counts it', async () => {
    const { t, client, done } = patched({ callTimeoutMs: TIMEOUT_MS });
    try {
      grpcServer.hang();
      const r = await startCall('unary', client).done;
      expect(r.code).toBe(grpc.status.DEADLINE_EXCEEDED);
      expect(r.error?.details).toMatch(/callTimeoutMs/);
      expect(t.breaker(grpcServer.target).metrics.failedCalls).toBe(1);
    } finally {
      done();
    }
  });

  it('a cancel within the grace, or after a reply arrived, is ignored', async () => {
    const { t, client, done } = patched({}, 60_000);
    try {
      grpcServer.hang(); // streams get one reply, then nothing
      for (let i = 0; i < 3; i++) {
        const c = startCall('unary', client);
        await grpcServer.waitForCalls(i + 1);
        c.call.cancel();
        await c.done;
      }
      const b = t.breaker(grpcServer.target);
      expect(b.metrics).toMatchObject({ failedCalls: 0, ignoredCalls: 3 });
      expect(b.state).toBe('closed');
    } finally {
      done();
    }
    const late = patched();
    try {
      grpcServer.hang();
      for (let i = 0; i < 3; i++) {
        const c = startCall('serverStream', late.client);
        await c.firstReply;
        await new Promise((resolve) => setTimeout(resolve, TIMEOUT_MS));
        c.call.cancel();
        await c.done;
      }
      expect(late.t.breaker(grpcServer.target).metrics.failedCalls).toBe(0);
    } finally {
      late.done();
    }
  });
});
