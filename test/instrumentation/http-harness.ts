/**
 * The node:http tests' view of the shared test ClientContext (test-context.ts): one real
 * CircuitBreaker per `host:port` (none for the excluded keys), a clock the test moves, a record of
 * every breakerFor question, and a diag logger that records what the patch reports.
 */
import http from 'node:http';
import https from 'node:https';
import { createRequire } from 'node:module';
import type { InstrumentationNodeModuleDefinition } from '@opentelemetry/instrumentation';
import type { CircuitBreaker } from '../../src/breaker/circuit-breaker.js';
import type { CircuitBreakerOptions } from '../../src/breaker/types.js';
import { normalHost } from '../../src/common/host-port.js';
import { httpModuleDefinitions } from '../../src/instrumentation/http.js';
import type { TestServer } from './servers.js';
import { keyOf, testClientContext, type ManualClock, type MutableClientContext } from './test-context.js';

const require = createRequire(import.meta.url);

export interface HttpHarness {
  ctx: MutableClientContext;
  clock: ManualClock;
  /** Every breakerFor(host, port) question, in order. */
  asked: { host: string; port: number }[];
  /** Internal faults the patch reported through diag.error. */
  diagErrors: unknown[][];
  breaker(key: string): CircuitBreaker;
  breakers: Map<string, CircuitBreaker>;
  /** The 'http' and 'https' module definitions, in that order. */
  definitions: InstrumentationNodeModuleDefinition[];
  /** Apply the http and https module definitions (as InstrumentationBase does on require). */
  enable(): void;
  disable(): void;
}

export function httpHarness(options: Partial<CircuitBreakerOptions> = {}, exclude: string[] = []): HttpHarness {
  const { ctx, clock, breakers, breakerNamed, diagErrors } = testClientContext(options);
  const asked: { host: string; port: number }[] = [];
  ctx.breakerFor = (host, port) => {
    asked.push({ host, port });
    // As DestinationContext does: the patch hands over the host as the request has it.
    const key = keyOf(normalHost(host), port);
    return exclude.includes(key) ? undefined : breakerNamed(key);
  };
  const definitions = httpModuleDefinitions(ctx);
  return {
    ctx,
    clock,
    asked,
    diagErrors,
    breakers,
    definitions,
    breaker(key) {
      const b = breakers.get(key);
      if (!b) throw new Error(`no breaker ${key}; have ${[...breakers.keys()].join(', ')}`);
      return b;
    },
    enable() {
      for (const d of definitions) d.patch?.(require(d.name));
    },
    disable() {
      for (const d of definitions) d.unpatch?.(require(d.name));
    },
  };
}

/**
 * After a test: the patch disabled and no kept-alive socket left on either side. A socket that
 * outlived its test would be reused by the next one while the server is closing it, and show a
 * 'socket hang up' that has nothing to do with the patch.
 */
export function endHttpTest(h: HttpHarness, servers: TestServer[]): void {
  h.disable();
  http.globalAgent.destroy();
  https.globalAgent.destroy();
  for (const s of servers) s.dropConnections();
}
