/**
 * The one reading of `host:port` text, shared by destination patterns (config), gRPC targets and
 * breaker keys: `host`, `host:port`, `[v6]`, `[v6]:port`, or a bare IPv6 address (several colons,
 * so no port). The port comes back as written, or undefined when there is none; what a bad port
 * means is the caller's business. Undefined when the brackets are not closed or something other
 * than `:port` follows them.
 */
export interface HostPort {
  /** Without brackets. */
  host: string;
  port: string | undefined;
  /** Bracketed or bare IPv6: a key must put it in brackets before a port. */
  ipv6: boolean;
}

export function splitHostPort(text: string): HostPort | undefined {
  if (text.charCodeAt(0) === 91 /* [ */) {
    const end = text.indexOf(']');
    if (end === -1) return undefined;
    const after = text.slice(end + 1);
    if (after !== '' && after.charCodeAt(0) !== 58 /* : */) return undefined;
    return { host: text.slice(1, end), port: after === '' ? undefined : after.slice(1), ipv6: true };
  }
  const colon = text.lastIndexOf(':');
  if (colon === -1) return { host: text, port: undefined, ipv6: false };
  if (text.indexOf(':') !== colon) return { host: text, port: undefined, ipv6: true };
  return { host: text.slice(0, colon), port: text.slice(colon + 1), ipv6: false };
}

/** Lower case, IPv6 without brackets (`[::1]` → `::1`): how destinations are compared. */
export function normalHost(host: string): string {
  const bare = host.charCodeAt(0) === 91 /* [ */ && host.charCodeAt(host.length - 1) === 93 /* ] */ ? host.slice(1, -1) : host;
  return bare.toLowerCase();
}

/** `host:port`, with an IPv6 host in brackets: the key of a destination breaker. */
export function hostPortKey(host: string, port: number | string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
