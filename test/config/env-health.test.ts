import { describe, expect, it } from 'vitest';
import { MAX_TIMER_TEXT } from '../../src/common/timer-limit.js';
import { configFromEnv } from '../../src/config/env.js';

function read(env: Record<string, string>) {
  const warnings: string[] = [];
  return { ...configFromEnv(env, (m) => warnings.push(m)), warnings };
}

describe('configFromEnv: health variables', () => {
  it('reads BREAKWATER_HEALTH_HOST, BREAKWATER_HEALTH_SHOW_DETAILS and BREAKWATER_SHUTDOWN_DELAY_MS', () => {
    expect(read({ BREAKWATER_HEALTH_HOST: '0.0.0.0', BREAKWATER_HEALTH_SHOW_DETAILS: 'Always', BREAKWATER_SHUTDOWN_DELAY_MS: '5000' })).toMatchObject({
      healthHost: '0.0.0.0',
      healthShowDetails: 'always',
      shutdownDelayMs: 5000,
      warnings: [],
    });
    expect(read({})).toMatchObject({ healthHost: undefined, healthShowDetails: undefined, shutdownDelayMs: undefined });
  });

  it('warns once per bad value, naming it; a delay Node cannot wait is refused naming the maximum', () => {
    const { healthHost, healthShowDetails, shutdownDelayMs, warnings } = read({
      BREAKWATER_HEALTH_HOST: 'local host',
      BREAKWATER_HEALTH_SHOW_DETAILS: 'sometimes',
      BREAKWATER_SHUTDOWN_DELAY_MS: String(2 ** 31),
    });
    expect({ healthHost, healthShowDetails, shutdownDelayMs }).toEqual({ healthHost: undefined, healthShowDetails: undefined, shutdownDelayMs: undefined });
    expect(warnings).toHaveLength(3);
    expect(warnings[0]).toContain('BREAKWATER_HEALTH_HOST="local host"');
    expect(warnings[1]).toContain('BREAKWATER_HEALTH_SHOW_DETAILS="sometimes"');
    expect(warnings[2]).toBe(`breakwater: ignoring BREAKWATER_SHUTDOWN_DELAY_MS="2147483648": expected a number of milliseconds from 0 to ${MAX_TIMER_TEXT}; using the default`);
  });
});
