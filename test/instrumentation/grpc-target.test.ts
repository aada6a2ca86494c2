import { describe, expect, it } from 'vitest';
import { breakerKeyForTarget } from '../../src/instrumentation/grpc-target.js';

describe('breakerKeyForTarget', () => {
  it.each([
    // what channel.getTarget() reports for `new Client('localhost:50051', …)`
    ['dns:localhost:50051', 'localhost:50051'],
    ['dns:///localhost:50051', 'localhost:50051'],
    ['dns://8.8.8.8/localhost:50051', 'localhost:50051'],
    ['dns:127.0.0.1:50051', '127.0.0.1:50051'],
    ['dns:Payments.Internal:8443', 'payments.internal:8443'],
    ['dns:localhost', 'localhost:443'],
    ['dns:[::1]:50051', '[::1]:50051'],
    ['dns:[::1]', '[::1]:443'],
    ['ipv4:10.0.0.1:7000', '10.0.0.1:7000'],
    ['ipv6:[::1]:7000', '[::1]:7000'],
    ['ipv6:::1', '[::1]:443'],
    ['DNS:localhost:50051', 'localhost:50051'],
  ])('%s → %s', (target, key) => {
    expect(breakerKeyForTarget(target)).toBe(key);
  });

  it.each([
    'unix:/run/app.sock',
    'unix:///run/app.sock',
    'xds:///orders',
    'ipv4:10.0.0.1:7000,10.0.0.2:7000',
    'dns:host:notaport',
    'dns:[::1',
    'dns://authority-without-path',
    'passthrough:whatever',
  ])('keeps %s as it is', (target) => {
    expect(breakerKeyForTarget(target)).toBe(target);
  });
});
