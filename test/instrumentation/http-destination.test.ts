import { describe, expect, it } from 'vitest';
import { httpDestination } from '../../src/instrumentation/http-destination.js';

describe('httpDestination', () => {
  it('reads host and port as Node normalised them, falling back to the agent default port', () => {
    expect(httpDestination({ host: 'api.example.com', port: 8080 }, 80)).toEqual({ host: 'api.example.com', port: 8080 });
    expect(httpDestination({ host: 'api.example.com' }, 443)).toEqual({ host: 'api.example.com', port: 443 });
    expect(httpDestination({ hostname: 'h', defaultPort: 8443 }, 443)).toEqual({ host: 'h', port: 8443 });
    expect(httpDestination({}, 80)).toEqual({ host: 'localhost', port: 80 });
  });

  it('lower-cases names, strips IPv6 brackets and reads string ports', () => {
    expect(httpDestination({ host: 'API.Example.COM', port: '81' }, 80)).toEqual({ host: 'api.example.com', port: 81 });
    expect(httpDestination({ host: '[::1]', port: 3000 }, 80)).toEqual({ host: '::1', port: 3000 });
    expect(httpDestination({ host: 'fe80::1%eth0', port: 3000 }, 80)).toEqual({ host: 'fe80::1%eth0', port: 3000 });
  });

  it('has no destination for Unix sockets and named pipes', () => {
    expect(httpDestination({ socketPath: '/var/run/docker.sock', host: 'localhost' }, 80)).toBeUndefined();
  });

  it('throws, naming the value, on what it cannot read', () => {
    expect(() => httpDestination({ host: 'h', port: 'eighty' }, 80)).toThrow(/port eighty for host h/);
    expect(() => httpDestination({ host: 'h', port: 70000 }, 80)).toThrow(/70000/);
    expect(() => httpDestination({ host: 42 as unknown as string }, 80)).toThrow(/host 42/);
  });
});
