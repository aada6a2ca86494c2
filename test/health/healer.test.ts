import { describe, expect, it } from 'vitest';
import { HealGuard, cooldownAfter } from '../../src/health/healer.js';

const policy = { timeoutMs: 1_000, cooldownMs: 1_000, backoffMultiplier: 2, maxCooldownMs: 5_000, maxAttempts: 4 };

describe('HealGuard', () => {
  it('grows the cooldown per failed heal up to the cap', () => {
    expect([1, 2, 3, 4, 5].map((n) => cooldownAfter(n, policy))).toEqual([1_000, 2_000, 4_000, 5_000, 5_000]);
  });

  it('blocks a second heal while one runs, waits the cooldown, and gives up after maxAttempts', () => {
    const guard = new HealGuard(policy);
    expect(guard.blocked(0)).toBeUndefined();
    expect(guard.begin()).toBe(1);
    expect(guard.blocked(0)).toBe('in_progress');
    guard.end(100, false);
    expect(guard.blocked(1_099)).toBe('cooldown');
    expect(guard.blocked(1_100)).toBeUndefined();
    expect(guard.begin()).toBe(2);
    guard.end(1_100, false);
    expect(guard.blocked(3_099)).toBe('cooldown');
    expect(guard.begin()).toBe(3);
    guard.end(3_100, false);
    expect(guard.begin()).toBe(4);
    guard.end(7_100, false);
    expect(guard.blocked(1e12)).toBe('exhausted');
  });

  it('starts afresh after a recovery or a successful heal', () => {
    const guard = new HealGuard(policy);
    guard.begin();
    guard.end(0, false);
    guard.recovered();
    expect(guard.blocked(0)).toBeUndefined();
    expect(guard.begin()).toBe(1);
    guard.end(0, true);
    expect(guard.blocked(0)).toBeUndefined();
    expect(guard.cooldownUntil).toBe(0);
  });
});

describe('HealGuard.abandon', () => {
  it('ends a heal without counting it', () => {
    const guard = new HealGuard({ ...policy, maxAttempts: 1 });
    guard.begin();
    guard.abandon();
    expect(guard.blocked(0)).toBeUndefined();
    expect(guard.begin()).toBe(1);
  });
});
