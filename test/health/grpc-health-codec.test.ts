import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeListRequest,
  decodeListResponse,
  decodeRequest,
  decodeResponse,
  encodeListResponse,
  encodeRequest,
  encodeResponse,
  type ServingStatus,
} from '../../src/health/grpc-health-codec.js';

describe('grpc.health.v1 codec', () => {
  it('encodes the request as protobuf field 1 (string)', () => {
    expect([...encodeRequest({ service: 'db' })]).toEqual([0x0a, 2, 0x64, 0x62]);
    expect(encodeRequest({ service: '' }).length).toBe(0);
  });

  it('encodes the response as protobuf field 1 (enum), leaving out the default', () => {
    expect([...encodeResponse({ status: 'SERVING' })]).toEqual([0x08, 1]);
    expect([...encodeResponse({ status: 'SERVICE_UNKNOWN' })]).toEqual([0x08, 3]);
    expect(encodeResponse({ status: 'UNKNOWN' }).length).toBe(0);
  });

  it('round-trips any service name and status', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 300 }), (service) => {
      expect(decodeRequest(encodeRequest({ service }))).toEqual({ service });
    }));
    for (const status of ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'] as ServingStatus[]) {
      expect(decodeResponse(encodeResponse({ status }))).toEqual({ status });
    }
  });

  it('skips unknown fields of every wire type', () => {
    // field 2 varint 300, field 3 fixed64, field 4 bytes "x", field 5 fixed32, then service = "a"
    const bytes = Buffer.from([0x10, 0xac, 0x02, 0x19, 1, 2, 3, 4, 5, 6, 7, 8, 0x22, 1, 0x78, 0x2d, 1, 2, 3, 4, 0x0a, 1, 0x61]);
    expect(decodeRequest(bytes)).toEqual({ service: 'a' });
    expect(decodeResponse(Buffer.from([0x10, 5, 0x08, 2]))).toEqual({ status: 'NOT_SERVING' });
  });

  it('encodes the List response as map entries { key = 1, value = 2 }', () => {
    // entry 1: key "db", value { status SERVING }; entry 2: key "" left out, value {} (UNKNOWN)
    expect([...encodeListResponse({ statuses: { db: { status: 'SERVING' }, '': { status: 'UNKNOWN' } } })])
      .toEqual([0x0a, 8, 0x0a, 2, 0x64, 0x62, 0x12, 2, 0x08, 1, 0x0a, 2, 0x12, 0]);
    expect(decodeListRequest(Buffer.from([0x0a, 1, 0x61]))).toEqual({});
  });

  it('round-trips any List response, "__proto__" included', () => {
    const statuses = fc.constantFrom<ServingStatus>('UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN').map((status) => ({ status }));
    fc.assert(fc.property(fc.dictionary(fc.oneof(fc.string({ maxLength: 40 }), fc.constant('__proto__')), statuses, { maxKeys: 20 }), (map) => {
      const decoded = decodeListResponse(encodeListResponse({ statuses: map }));
      expect(Object.getPrototypeOf(decoded.statuses)).toBe(Object.prototype);
      expect(decoded.statuses).toEqual(map);
    }));
  });

  it('rejects truncated input', () => {
    expect(() => decodeRequest(Buffer.from([0x0a, 5, 0x61]))).toThrow(/truncated/);
  });
});
