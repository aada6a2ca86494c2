import { describe, expect, it } from 'vitest';
import { grpcCallOutcome, retryPushbackMs } from '../../src/instrumentation/grpc-outcome.js';

const defaults = (code: number): boolean => [14, 4, 8, 13, 2].includes(code);

describe('grpcCallOutcome', () => {
  it('counts OK and answers such as NOT_FOUND or INVALID_ARGUMENT as successes', () => {
    for (const code of [0, 3, 5, 6, 7, 9, 10, 11, 12, 15, 16]) {
      expect(grpcCallOutcome(code, false, defaults)).toBe('success');
    }
  });

  it('counts the configured failure codes as failures', () => {
    for (const code of [14, 4, 8, 13, 2]) expect(grpcCallOutcome(code, false, defaults)).toBe('failure');
    expect(grpcCallOutcome(5, false, (c) => c === 5)).toBe('failure');
  });

  it('ignores whatever follows a cancel by the caller, and CANCELLED unless configured as a failure', () => {
    expect(grpcCallOutcome(1, true, defaults)).toBe('ignored');
    expect(grpcCallOutcome(13, true, defaults)).toBe('ignored');
    expect(grpcCallOutcome(1, false, defaults)).toBe('ignored');
    expect(grpcCallOutcome(1, false, (c) => c === 1)).toBe('failure');
    expect(grpcCallOutcome(0, true, defaults)).toBe('success');
  });
});

describe('retryPushbackMs', () => {
  const metadata = (value?: string) => ({ get: (key: string) => (key === 'grpc-retry-pushback-ms' && value !== undefined ? [value] : []) });

  it('reads grpc-retry-pushback-ms', () => {
    expect(retryPushbackMs(metadata('2500'))).toBe(2500);
  });

  it('is undefined when absent, malformed or not metadata', () => {
    expect(retryPushbackMs(metadata())).toBeUndefined();
    expect(retryPushbackMs(metadata('-1'))).toBeUndefined();
    expect(retryPushbackMs(metadata('soon'))).toBeUndefined();
    expect(retryPushbackMs(undefined)).toBeUndefined();
    expect(retryPushbackMs({})).toBeUndefined();
  });
});
