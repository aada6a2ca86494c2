import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { HealthStatus } from '../../src/health/check-types.js';
import { ScoreTally, roundScore, scoreChecks, type ScoredCheck } from '../../src/health/scoring.js';

const check = (status: HealthStatus, weight = 1, critical = false): ScoredCheck => ({ status, weight, critical });

describe('scoring rule', () => {
  it('scores healthy 100, degraded 60, unhealthy 0 and leaves unknown out', () => {
    expect(scoreChecks([check('healthy')], 50).score).toBe(100);
    expect(scoreChecks([check('degraded')], 50).score).toBe(60);
    expect(scoreChecks([check('unhealthy')], 0).score).toBe(0);
    expect(scoreChecks([check('healthy'), check('unknown')], 50).score).toBe(100);
    expect(scoreChecks([check('healthy', 3), check('unhealthy', 1)], 50).score).toBe(75);
    expect(scoreChecks([check('healthy', 0), check('degraded', 1)], 50).score).toBe(60);
  });

  it('gives 100 and healthy when nothing counts', () => {
    expect(scoreChecks([], 50)).toEqual({ score: 100, overall: 'healthy' });
  });

  it('decides the overall status: critical unhealthy or low score → unhealthy; anything not healthy → degraded', () => {
    expect(scoreChecks([check('healthy'), check('healthy')], 50).overall).toBe('healthy');
    expect(scoreChecks([check('healthy'), check('unknown')], 50).overall).toBe('degraded');
    expect(scoreChecks([check('healthy'), check('unhealthy')], 50).overall).toBe('degraded'); // score 50, not below
    expect(scoreChecks([check('healthy', 9), check('unhealthy', 1, true)], 50).overall).toBe('unhealthy');
    expect(scoreChecks([check('degraded', 1, true)], 50).overall).toBe('degraded');
    expect(scoreChecks([check('healthy'), check('unhealthy', 2)], 50).overall).toBe('unhealthy'); // 33.3 < 50
    expect(scoreChecks([check('unhealthy')], 0).overall).toBe('degraded'); // threshold 0 turns the rule off
  });

  it('keeps a running tally equal to scoring the list from scratch', () => {
    const arbCheck = fc.record({
      status: fc.constantFrom<HealthStatus>('healthy', 'degraded', 'unhealthy', 'unknown'),
      weight: fc.integer({ min: 0, max: 5 }),
      critical: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(arbCheck, { maxLength: 20 }), fc.array(fc.nat(), { maxLength: 20 }), (checks, removals) => {
        const tally = new ScoreTally();
        const live = [...checks];
        for (const c of live) tally.add(c);
        for (const r of removals) {
          if (live.length === 0) break;
          const [gone] = live.splice(r % live.length, 1);
          tally.remove(gone!);
        }
        const fresh = scoreChecks(live, 50);
        expect(tally.score).toBeCloseTo(fresh.score, 9);
        expect(tally.overall(50)).toBe(fresh.overall);
      }),
    );
  });

  it('rounds the shown score to one decimal', () => {
    expect(roundScore(200 / 3)).toBe(66.7);
  });
});
