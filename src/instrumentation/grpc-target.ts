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
  return hostPortKey(rest) ?? target;
}

const DEFAULT_PORT = 443;

function hostPortKey(address: string): string | undefined {
  let host: string;
  let port: string | undefined;
  if (address.startsWith('[')) {
    const end = address.indexOf(']');
    if (end === -1) return undefined;
    host = address.slice(0, end + 1);
    const after = address.slice(end + 1);
    if (after !== '') {
      if (!after.startsWith(':')) return undefined;
      port = after.slice(1);
    }
  } else {
    const parts = address.split(':');
    if (parts.length === 2) {
      [host, port] = parts as [string, string];
    } else if (parts.length > 2) {
      host = `[${address}]`; // a bare IPv6 address, which cannot carry a port
    } else {
      host = address;
    }
  }
  if (port !== undefined && !/^\d+$/.test(port)) return undefined;
  return `${host.toLowerCase()}:${port === undefined ? DEFAULT_PORT : Number(port)}`;
}
