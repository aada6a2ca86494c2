import { describe, expect, it } from 'vitest';
import type { CheckResult } from '../../../src/health/check-types.js';
import { dnsCheck, type DnsLookup } from '../../../src/health/checks/dns.js';
import { HealthCheckManager } from '../../../src/health/manager.js';
import { manualTimers } from './loopback.js';

function runCheck(registration: { check: (signal: AbortSignal) => unknown }, signal = new AbortController().signal): Promise<CheckResult> {
  return Promise.resolve(registration.check(signal)) as Promise<CheckResult>;
}

/** Answers like the OS resolver would for a name under `.invalid` (RFC 6761), without asking one. */
const notFound: DnsLookup = async (hostname) => {
  throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname });
};

describe('dnsCheck', () => {
  // 'localhost' is answered from /etc/hosts (family 4: no AAAA query goes out either).
  it('is healthy when the name resolves (localhost, the real resolver)', async () => {
    expect(await runCheck(dnsCheck({ name: 'dns', hostname: 'localhost', family: 4 }))).toEqual({
      status: 'healthy',
      message: 'resolved to 1 address',
      details: { address_count: 1 },
    });
  });

  it('a name that does not resolve is unhealthy by its error code, without the name', async () => {
    const health = new HealthCheckManager();
    health.register(dnsCheck({ name: 'dns', hostname: 'db.internal.invalid', lookup: notFound }));
    const { components } = await health.runAll();
    expect(components.dns).toMatchObject({ status: 'unhealthy', message: 'lookup failed: name not found (ENOTFOUND)' });
  });

  it('passes the family to the lookup; no address at all is unhealthy', async () => {
    const asked: unknown[] = [];
    const lookup: DnsLookup = async (hostname, options) => {
      asked.push([hostname, options]);
      return [];
    };
    expect(await runCheck(dnsCheck({ name: 'dns', hostname: 'db', family: 6, lookup }))).toEqual({ status: 'unhealthy', message: 'lookup found no address' });
    expect(asked).toEqual([['db', { all: true, family: 6 }]]);
  });

  it('a lookup that never answers: the timeout ends the run', async () => {
    const timers = manualTimers();
    const health = new HealthCheckManager({ timers: timers.timers, timeoutMs: 300 });
    let aborted: AbortSignal | undefined;
    const check = dnsCheck({ name: 'dns', hostname: 'db', lookup: () => new Promise(() => {}) });
    health.register({
      ...check,
      check: (signal) => {
        aborted = signal;
        return check.check(signal);
      },
    });
    const round = health.runAll();
    timers.fireAll();
    expect((await round).components.dns).toMatchObject({ status: 'unhealthy', message: 'timed out after 300 ms' });
    expect(aborted?.aborted).toBe(true);
    const controller = new AbortController();
    const run = runCheck(check, controller.signal);
    controller.abort(new Error('stopped'));
    await expect(run).rejects.toThrow('lookup failed');
  });

  it('refuses bad options at construction, naming the option and the value', () => {
    expect(() => dnsCheck({ name: 'dns', hostname: '' })).toThrow('dnsCheck(): option "hostname" must be a host name of 1 to 253 characters, got ""');
    expect(() => dnsCheck({ name: 'dns', hostname: 'db', family: 5 as 4 })).toThrow('dnsCheck(): option "family" must be 0, 4 or 6, got 5');
    expect(() => dnsCheck({ name: 'dns', hostname: 'db', lookup: 'dns' as unknown as DnsLookup })).toThrow('dnsCheck(): option "lookup" must be a function, got "dns"');
    expect(() => dnsCheck({ name: 'dns', hostname: 'db', intervalMs: 0 })).toThrow('dnsCheck(): option "intervalMs"');
  });
});
