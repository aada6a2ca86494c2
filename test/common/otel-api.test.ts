import { diag as apiDiag, DiagLogLevel, type DiagLogger } from '@opentelemetry/api';
import { afterEach, expect, it } from 'vitest';
import { diag } from '../../src/common/otel-api.js';

afterEach(() => apiDiag.disable());

it("reaches the logger registered with @opentelemetry/api's diag, at every level", () => {
  const seen: unknown[][] = [];
  const record = (level: string) => (...args: unknown[]) => void seen.push([level, ...args]);
  const logger: DiagLogger = { error: record('error'), warn: record('warn'), info: record('info'), debug: record('debug'), verbose: record('verbose') };
  apiDiag.setLogger(logger, DiagLogLevel.ALL);
  seen.length = 0; // the api's own note that a logger was registered
  const cause = new Error('boom');
  diag.error('breakwater: e', cause);
  diag.warn('breakwater: w');
  diag.info('breakwater: i');
  diag.debug('breakwater: d');
  diag.verbose('breakwater: v', 1, 2);
  expect(seen).toEqual([
    ['error', 'breakwater: e', cause],
    ['warn', 'breakwater: w'],
    ['info', 'breakwater: i'],
    ['debug', 'breakwater: d'],
    ['verbose', 'breakwater: v', 1, 2],
  ]);
});

it('says nothing when no logger is registered', () => {
  expect(() => diag.error('breakwater: nobody listens')).not.toThrow();
});
