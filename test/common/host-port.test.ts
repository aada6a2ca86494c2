import { describe, expect, it } from 'vitest';
import { hostPortKey, normalHost, splitHostPort } from '../../src/common/host-port.js';

describe('splitHostPort', () => {
  it('reads host, host:port, bracketed and bare IPv6', () => {
    expect(splitHostPort('api.example.com')).toEqual({ host: 'api.example.com', port: undefined, ipv6: false });
    expect(splitHostPort('api.example.com:8443')).toEqual({ host: 'api.example.com', port: '8443', ipv6: false });
    expect(splitHostPort('[::1]:9000')).toEqual({ host: '::1', port: '9000', ipv6: true });
    expect(splitHostPort('[::1]')).toEqual({ host: '::1', port: undefined, ipv6: true });
    expect(splitHostPort('fe80::1')).toEqual({ host: 'fe80::1', port: undefined, ipv6: true });
  });

  it('hands the port back as written, and refuses what follows brackets other than :port', () => {
    expect(splitHostPort('db:abc')?.port).toBe('abc');
    expect(splitHostPort('db:')?.port).toBe('');
    expect(splitHostPort('[::1')).toBeUndefined();
    expect(splitHostPort('[::1]9000')).toBeUndefined();
  });
});

describe('normalHost and hostPortKey', () => {
  it('lower-cases and unbrackets; brackets IPv6 again in a key', () => {
    expect(normalHost('[::1]')).toBe('::1');
    expect(normalHost('API.Example.COM')).toBe('api.example.com');
    expect(hostPortKey('::1', 8080)).toBe('[::1]:8080');
    expect(hostPortKey('api.example.com', 443)).toBe('api.example.com:443');
  });
});
