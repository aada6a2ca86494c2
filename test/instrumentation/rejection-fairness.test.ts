/**
 * A caller retrying in a tight loop against an open breaker must not starve the event loop: a
 * refused connection reaches it through the event loop, and so must a rejection, often enough for
 * a 50 ms timer to fire on time and a loopback echo to come back. Each client runs in a child process of its own (the built
 * package, test/fixtures/rejection-loop.mjs) so that one client's patch and timers cannot help
 * another's. The loop stops when the timer has fired, or after LIMIT_MS: a starved timer fires
 * only then, long after the bound below.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, runNode } from '../examples/child.js';

const LIMIT_MS = 3000;

interface LoopResult {
  client: string;
  opening: string[];
  made: number;
  codes: Record<string, number>;
  lateMs: number;
  echoMs: number;
  firedAfter: number | null;
}

async function loop(client: string): Promise<LoopResult> {
  const { code, stdout, stderr } = await runNode(['test/fixtures/rejection-loop.mjs'], {
    env: { CLIENT: client, CALLS: '5000000', UNTIL_FIRED: '1', LIMIT_MS: String(LIMIT_MS), OTEL_METRICS_EXPORTER: 'none' },
    timeoutMs: 20_000,
  });
  expect(code, stderr).toBe(0);
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as LoopResult;
}

beforeAll(() => assertBuilt());

describe('a tight retry loop against an open breaker leaves room for timers and I/O', () => {
  it.each([
    ['http', 'ECONNREFUSED'],
    ['fetch', 'ECONNREFUSED'],
    ['grpc', 'grpc 14'],
    ['execute', 'EDOWN'],
  ])('%s: a 50 ms timer and a loopback echo get through while every call is rejected', async (client, opening) => {
    const r = await loop(client);
    // The breaker was opened the slow way, then refused every call of the loop.
    expect(r.opening).toEqual(Array(5).fill(opening));
    expect(r.codes).toEqual({ ECIRCUITOPEN: r.made });
    // The timer fired while the loop was still running, and not much late.
    expect(r.firedAfter, `timer starved: ${JSON.stringify(r)}`).not.toBeNull();
    expect(r.lateMs).toBeLessThan(1000);
    // Loopback I/O got through as well: an echo sent as the loop began came back.
    expect(r.echoMs).toBeLessThan(1000);
    // More than one turn's worth of rejections went by before it: the loop did run at full speed.
    expect(r.made).toBeGreaterThan(128);
  });
});
