import { hostPortKey, splitHostPort } from '../common/host-port.js';

/**
 * Turns a grpc-js channel target into the breaker key users expect.
 *
 * `channel.getTarget()` reports the target after grpc-js mapped it to a resolver scheme: a client
 * made with `'localhost:50051'` says `dns:localhost:50051`, one made with `'dns:///localhost:50051'`
 * says just that. Both reach the same server, so both get the key `localhost:50051`, the way the
 * HTTP patches key by `host:port`:
 *
 * - `dns:` (with or without an authority such as `//8.8.8.8/`), and `ipv4:` / `ipv6:` naming a single
 *   address, are reduced to `host:port`; the host is lower-cased, and a missing port becomes 443
 *   (grpc-js's default), so `localhost` and `localhost:443` share a breaker.
 * - IPv6 hosts keep their brackets: `[::1]:50051`.
 * - Every other target keeps its full form: `unix:/run/app.sock`, `xds:///orders`, or an
 *   `ipv4:` list of several addresses (`ipv4:10.0.0.1:1,10.0.0.2:1`), which one breaker guards as one
 *   destination.
 */
export function breakerKeyForTarget(target: string): string {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(target)?.[1]?.toLowerCase();
  if (scheme !== 'dns' && scheme !== 'ipv4' && scheme !== 'ipv6') return target;
  let rest = target.slice(scheme.length + 1);
  if (rest.startsWith('//')) {
    const authorityEnd = rest.indexOf('/', 2);
    if (authorityEnd === -1) return target;
    rest = rest.slice(authorityEnd + 1);
  }
  if (rest === '' || rest.includes(',')) return target;
  return addressKey(rest) ?? target;
}

const DEFAULT_PORT = 443;

function addressKey(address: string): string | undefined {
  const parts = splitHostPort(address);
  if (parts === undefined || (parts.port !== undefined && !/^\d+$/.test(parts.port))) return undefined;
  return hostPortKey(parts.host.toLowerCase(), parts.port === undefined ? DEFAULT_PORT : Number(parts.port));
}
