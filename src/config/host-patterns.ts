import { splitHostPort } from '../common/host-port.js';
import { OptionChecker } from '../common/option-checker.js';

/**
 * A destination pattern, as used by `excludeHosts` and `destinations`:
 * - `'api.example.com'` the host, any port; `'api.example.com:8443'` that host and port;
 * - `'*.example.com'` any subdomain of example.com (not example.com itself), optionally `:port`;
 * - `'[::1]:9000'` IPv6 with a port; a RegExp is tested against the host alone.
 * Host names compare case-insensitively.
 */
export type HostPattern = string | RegExp;

export type HostMatcher = (host: string, port: number) => boolean;

export function compileHostPattern(pattern: HostPattern, option: string, check = new OptionChecker('BreakwaterInstrumentation')): HostMatcher {
  if (pattern instanceof RegExp) {
    const re = new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ''));
    return (host) => re.test(host);
  }
  if (typeof pattern !== 'string' || pattern.trim() === '') {
    throw check.error(option, "a host ('api.example.com'), wildcard ('*.example.com'), optional ':port', or a RegExp", pattern);
  }
  const { host, port } = hostAndPort(pattern.trim().toLowerCase(), option, pattern, check);
  const portOk = port === undefined ? () => true : (p: number) => p === port;
  if (host.startsWith('*.')) {
    const suffix = host.slice(1);
    if (suffix.length < 2 || suffix.includes('*')) throw check.error(option, "a wildcard of the form '*.example.com'", pattern);
    return (h, p) => portOk(p) && h.length > suffix.length && h.toLowerCase().endsWith(suffix);
  }
  if (host.includes('*')) throw check.error(option, "'*' only as the leading label, as in '*.example.com'", pattern);
  return (h, p) => portOk(p) && (h === host || h.toLowerCase() === host);
}

/** One matcher for a whole list, or undefined when the list is empty (the common case). */
export function compileHostPatterns(
  patterns: readonly HostPattern[] | undefined,
  option: string,
  check = new OptionChecker('BreakwaterInstrumentation'),
): HostMatcher | undefined {
  if (patterns === undefined) return undefined;
  if (!Array.isArray(patterns)) throw check.error(option, 'an array of host patterns', patterns);
  const matchers = patterns.map((p, i) => compileHostPattern(p, `${option}[${i}]`, check));
  if (matchers.length === 0) return undefined;
  return (host, port) => {
    for (const m of matchers) if (m(host, port)) return true;
    return false;
  };
}

function hostAndPort(text: string, option: string, original: string, check: OptionChecker): { host: string; port: number | undefined } {
  const parts = splitHostPort(text);
  if (parts === undefined || parts.host === '') throw check.error(option, "a host, optionally with ':port' (IPv6 in brackets: '[::1]:9000')", original);
  return { host: parts.host, port: toPort(parts.port, option, original, check) };
}

function toPort(text: string | undefined, option: string, original: string, check: OptionChecker): number | undefined {
  if (text === undefined) return undefined;
  const port = Number(text);
  if (!/^\d+$/.test(text) || port < 1 || port > 65535) throw check.error(option, 'a host with a port from 1 to 65535', original);
  return port;
}
