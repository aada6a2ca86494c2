import type { LookupAddress } from 'node:dns';
import type { CheckRegistration, CheckResult } from '../check-types.js';
import { fail } from '../validate.js';
import { dependencyRegistration, failureError, optionsObject, type DependencyCheckOptions } from './dependency.js';

/** How names are resolved: `dns.promises.lookup` with `all: true` (the OS resolver, /etc/hosts included). */
export type DnsLookup = (hostname: string, options: { all: true; family: 0 | 4 | 6 }) => Promise<LookupAddress[]>;

export interface DnsCheckOptions extends DependencyCheckOptions {
  /** Never shown in a result. */
  hostname: string;
  /** 4 or 6 for one address family only (default 0: either). */
  family?: 0 | 4 | 6;
  /** Replaces `dns.promises.lookup` (a custom resolver, tests). */
  lookup?: DnsLookup;
}

const WHERE = 'dnsCheck()';

/**
 * A check that a name resolves to at least one address. The OS resolver cannot be cancelled: on
 * timeout the run ends at once and the lookup's late answer is dropped.
 */
export function dnsCheck(options: DnsCheckOptions): CheckRegistration {
  optionsObject(WHERE, options);
  // Fetched, not imported: node:dns/promises as an ES module would weigh on every import of breakwater.
  const { hostname, family = 0, lookup = process.getBuiltinModule('node:dns/promises').lookup as DnsLookup } = options;
  if (typeof hostname !== 'string' || hostname === '' || hostname.length > 253) fail(WHERE, 'hostname', 'a host name of 1 to 253 characters', hostname);
  if (family !== 0 && family !== 4 && family !== 6) fail(WHERE, 'family', '0, 4 or 6', family);
  if (typeof lookup !== 'function') fail(WHERE, 'lookup', 'a function', lookup);

  async function check(signal: AbortSignal): Promise<CheckResult> {
    let addresses: LookupAddress[];
    try {
      addresses = await untilAborted(lookup(hostname, { all: true, family }), signal);
    } catch (error) {
      throw failureError('lookup', error);
    }
    if (!Array.isArray(addresses) || addresses.length === 0) return { status: 'unhealthy', message: 'lookup found no address' };
    const count = addresses.length;
    return { status: 'healthy', message: `resolved to ${count} address${count === 1 ? '' : 'es'}`, details: { address_count: count } };
  }

  return dependencyRegistration(WHERE, options, 'custom', check);
}

function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
