import { describe, expect, it } from 'vitest';
import type { Permit } from '../../src/breaker/types.js';
import { isTimeoutError, NoResponseError } from '../../src/instrumentation/abandoned-call.js';
import { HttpExchangeOutcome, HttpStatusError } from '../../src/instrumentation/http-outcome.js';

/** A permit that records what it was told; the rules under test must settle it exactly once. */
function recordingPermit(): Permit & { calls: [string, ...unknown[]][] } {
  const calls: [string, ...unknown[]][] = [];
  return {
    calls,
    success: () => void calls.push(['success']),
    failure: (...args) => void calls.push(['failure', ...args]),
    ignore: () => void calls.push(['ignore']),
  };
}

const statuses = { isFailureStatus: (s: number): boolean => s === 408 || s === 429 || s >= 500, abortGraceMs: 100 };
const now = (): number => Date.parse('2026-01-01T00:00:00Z');

function outcome(): [HttpExchangeOutcome, ReturnType<typeof recordingPermit>] {
  const permit = recordingPermit();
  return [new HttpExchangeOutcome(permit, statuses, now), permit];
}

describe('HttpExchangeOutcome', () => {
  it('settles on the response status and ignores everything after', () => {
    const [o, p] = outcome();
    o.response(200, undefined);
    o.error(new Error('body reset later'));
    o.close();
    expect(p.calls).toEqual([['success']]);
  });

  it('passes Retry-After of a 429/503 to the breaker, not of a 500', () => {
    const [a, pa] = outcome();
    a.response(503, 'Thu, 01 Jan 2026 00:00:05 GMT');
    expect(pa.calls[0]![0]).toBe('failure');
    expect(pa.calls[0]![1]).toBeInstanceOf(HttpStatusError);
    expect(pa.calls[0]![1]).toMatchObject({ statusCode: 503, retryAfterMs: 5_000 });
    expect(pa.calls[0]![2]).toBe(5_000);
    const [b, pb] = outcome();
    b.response(429, '7');
    expect(pb.calls[0]![2]).toBe(7_000);
    const [c, pc] = outcome();
    c.response(500, '7');
    expect(pc.calls[0]![2]).toBeUndefined();
  });

  it('a network error is a failure; after a caller destroy it is ignored', () => {
    const [a, pa] = outcome();
    const refused = Object.assign(new Error('refused'), { code: 'ECONNREFUSED' });
    a.error(refused);
    expect(pa.calls).toEqual([['failure', refused]]);
    const [b, pb] = outcome();
    b.callerDestroy(undefined);
    b.error(new Error('socket hang up'));
    b.close();
    expect(pb.calls).toEqual([['ignore']]);
  });

  it('a reset on a reused keep-alive socket is ignored; on a fresh socket, or any other error there, a failure', () => {
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    const [a, pa] = outcome();
    a.error(reset, true);
    expect(pa.calls).toEqual([['ignore']]);
    const [b, pb] = outcome();
    b.error(reset, false);
    expect(pb.calls).toEqual([['failure', reset]]);
    const [c, pc] = outcome();
    const refused = Object.assign(new Error('refused'), { code: 'ECONNREFUSED' });
    c.error(refused, true);
    expect(pc.calls).toEqual([['failure', refused]]);
  });

  it('a caller destroy after a timeout event, or with a timeout error, is a failure', () => {
    const [a, pa] = outcome();
    a.timeout();
    a.callerDestroy(undefined);
    const hangUp = new Error('socket hang up');
    a.error(hangUp);
    expect(pa.calls).toEqual([['failure', hangUp]]);
    const [b, pb] = outcome();
    const gotTimeout = Object.assign(new Error('Timeout awaiting response'), { name: 'TimeoutError', code: 'ETIMEDOUT' });
    b.callerDestroy(gotTimeout);
    b.error(gotTimeout);
    expect(pb.calls).toEqual([['failure', gotTimeout]]);
  });

  it('close alone is ignored, or a failure after a timeout (abort() emits no error)', () => {
    const [a, pa] = outcome();
    a.close();
    expect(pa.calls).toEqual([['ignore']]);
    const [b, pb] = outcome();
    b.timeout();
    b.callerDestroy(undefined);
    b.close();
    expect(pb.calls[0]![0]).toBe('failure');
    expect(pb.calls[0]![1]).toMatchObject({ code: 'ETIMEDOUT' });
  });

  it('a caller that gives up before the headers after the abort grace fails the destination; sooner, or after the headers, it is ignored', () => {
    let t = 0;
    const clock = (): number => t;
    const hangUp = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    // ky, node-fetch, superagent, needle: a bare abort()/destroy() when their own timer fires.
    const late = recordingPermit();
    const a = new HttpExchangeOutcome(late, statuses, clock);
    t = 100;
    a.callerDestroy(undefined);
    a.error(hangUp);
    expect(late.calls[0]![0]).toBe('failure');
    expect(late.calls[0]![1]).toBeInstanceOf(NoResponseError);
    expect(late.calls[0]![1]).toMatchObject({ code: 'ETIMEDOUT', elapsedMs: 100, cause: hangUp });
    // A cancel within the grace (a click, a lost race).
    const soon = recordingPermit();
    const b = new HttpExchangeOutcome(soon, statuses, clock);
    t = 199;
    b.callerDestroy(undefined);
    b.close();
    expect(soon.calls).toEqual([['ignore']]);
    // Given up on after the headers: settled already.
    const after = recordingPermit();
    const c = new HttpExchangeOutcome(after, statuses, clock);
    c.response(200, undefined);
    t = 10_000;
    c.callerDestroy(undefined);
    c.error(hangUp);
    expect(after.calls).toEqual([['success']]);
    // A grace of 0 counts every abandoned request.
    const strict = recordingPermit();
    const d = new HttpExchangeOutcome(strict, { ...statuses, abortGraceMs: 0 }, clock);
    d.callerDestroy(undefined);
    d.close();
    expect(strict.calls[0]![0]).toBe('failure');
  });

  it('a timeout event alone settles nothing: a late response still counts', () => {
    const [o, p] = outcome();
    o.timeout();
    o.response(200, undefined);
    expect(p.calls).toEqual([['success']]);
  });

  it('abandon() ignores the permit once', () => {
    const [o, p] = outcome();
    o.abandon();
    o.abandon();
    o.error(new Error('x'));
    expect(p.calls).toEqual([['ignore']]);
    expect(o.isSettled).toBe(true);
  });
});

describe('isTimeoutError', () => {
  it('recognises timeout codes and names only', () => {
    expect(isTimeoutError({ code: 'ETIMEDOUT' })).toBe(true);
    expect(isTimeoutError({ code: 'ESOCKETTIMEDOUT' })).toBe(true);
    expect(isTimeoutError({ name: 'TimeoutError' })).toBe(true);
    expect(isTimeoutError(new Error('timeout'))).toBe(false);
    expect(isTimeoutError({ code: 'ECONNABORTED' })).toBe(true); // axios' timeout
    expect(isTimeoutError({ code: 'ECONNRESET' })).toBe(false);
    expect(isTimeoutError(undefined)).toBe(false);
    const timeoutSignal = AbortSignal.abort(new DOMException('signal timed out', 'TimeoutError'));
    expect(isTimeoutError(Object.assign(new Error('aborted'), { name: 'AbortError', cause: timeoutSignal.reason }))).toBe(true);
    expect(isTimeoutError(Object.assign(new Error('aborted'), { name: 'AbortError', cause: new Error('user') }))).toBe(false);
    expect(isTimeoutError('ETIMEDOUT')).toBe(false);
  });
});
