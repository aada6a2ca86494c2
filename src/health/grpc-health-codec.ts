/**
 * The two messages of grpc.health.v1, encoded by hand so that no .proto file or protobuf library is
 * needed at run time:
 *   message HealthCheckRequest  { string service = 1; }
 *   message HealthCheckResponse { ServingStatus status = 1; }
 *   message HealthListRequest   {}
 *   message HealthListResponse  { map<string, HealthCheckResponse> statuses = 1; }
 * Unknown fields are skipped, as protobuf requires of a reader.
 */

export type ServingStatus = 'UNKNOWN' | 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';

export interface HealthCheckRequest {
  service: string;
}

export interface HealthCheckResponse {
  status: ServingStatus;
}

/** `List` takes no fields (gRFC A90). */
export type HealthListRequest = Record<string, never>;

export interface HealthListResponse {
  statuses: Record<string, HealthCheckResponse>;
}

const STATUS_NUMBERS: Record<ServingStatus, number> = { UNKNOWN: 0, SERVING: 1, NOT_SERVING: 2, SERVICE_UNKNOWN: 3 };
const STATUS_NAMES: ServingStatus[] = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'];

const WIRE_VARINT = 0;
const WIRE_I64 = 1;
const WIRE_LEN = 2;
const WIRE_I32 = 5;

function writeVarint(out: number[], value: number): void {
  let v = value;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
}

class Reader {
  private pos = 0;
  constructor(private readonly buf: Uint8Array) {}

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  varint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.buf.length) throw new Error('truncated varint');
      const byte = this.buf[this.pos++]!;
      result += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) return result;
      scale *= 128;
    }
    throw new Error('varint too long');
  }

  bytes(length: number): Uint8Array {
    if (this.pos + length > this.buf.length) throw new Error('truncated field');
    const out = this.buf.subarray(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }

  skip(wireType: number): void {
    if (wireType === WIRE_VARINT) this.varint();
    else if (wireType === WIRE_I64) this.bytes(8);
    else if (wireType === WIRE_LEN) this.bytes(this.varint());
    else if (wireType === WIRE_I32) this.bytes(4);
    else throw new Error(`unsupported wire type ${wireType}`);
  }
}

export function encodeRequest(request: HealthCheckRequest): Buffer {
  const service = Buffer.from(request.service ?? '', 'utf8');
  if (service.length === 0) return Buffer.alloc(0);
  const head: number[] = [(1 << 3) | WIRE_LEN];
  writeVarint(head, service.length);
  return Buffer.concat([Buffer.from(head), service]);
}

export function decodeRequest(buf: Uint8Array): HealthCheckRequest {
  const reader = new Reader(buf);
  let service = '';
  while (!reader.done) {
    const tag = reader.varint();
    const field = Math.floor(tag / 8);
    const wireType = tag & 7;
    if (field === 1 && wireType === WIRE_LEN) service = Buffer.from(reader.bytes(reader.varint())).toString('utf8');
    else reader.skip(wireType);
  }
  return { service };
}

export function encodeResponse(response: HealthCheckResponse): Buffer {
  const status = STATUS_NUMBERS[response.status] ?? 0;
  if (status === 0) return Buffer.alloc(0); // proto3 leaves the default value out
  const out: number[] = [(1 << 3) | WIRE_VARINT];
  writeVarint(out, status);
  return Buffer.from(out);
}

export function decodeResponse(buf: Uint8Array): HealthCheckResponse {
  const reader = new Reader(buf);
  let status: ServingStatus = 'UNKNOWN';
  while (!reader.done) {
    const tag = reader.varint();
    const field = Math.floor(tag / 8);
    const wireType = tag & 7;
    if (field === 1 && wireType === WIRE_VARINT) status = STATUS_NAMES[reader.varint()] ?? 'UNKNOWN';
    else reader.skip(wireType);
  }
  return { status };
}

/** A length-delimited field: tag, length, bytes. */
function lengthDelimited(field: number, bytes: Uint8Array): Buffer {
  const head: number[] = [(field << 3) | WIRE_LEN];
  writeVarint(head, bytes.length);
  return Buffer.concat([Buffer.from(head), bytes]);
}

export function encodeListRequest(): Buffer {
  return Buffer.alloc(0);
}

export function decodeListRequest(buf: Uint8Array): HealthListRequest {
  const reader = new Reader(buf);
  while (!reader.done) reader.skip(reader.varint() & 7);
  return {};
}

/** A protobuf map is a repeated entry message `{ string key = 1; HealthCheckResponse value = 2; }`. */
export function encodeListResponse(response: HealthListResponse): Buffer {
  const entries = Object.entries(response.statuses).map(([service, status]) => {
    const key = Buffer.from(service, 'utf8');
    const value = encodeResponse(status);
    return lengthDelimited(1, Buffer.concat([key.length > 0 ? lengthDelimited(1, key) : Buffer.alloc(0), lengthDelimited(2, value)]));
  });
  return Buffer.concat(entries);
}

export function decodeListResponse(buf: Uint8Array): HealthListResponse {
  const reader = new Reader(buf);
  // A Map, then fromEntries: a service named "__proto__" stays an ordinary key.
  const statuses = new Map<string, HealthCheckResponse>();
  while (!reader.done) {
    const tag = reader.varint();
    if (tag >> 3 !== 1 || (tag & 7) !== WIRE_LEN) {
      reader.skip(tag & 7);
      continue;
    }
    const entry = new Reader(reader.bytes(reader.varint()));
    let service = '';
    let status: HealthCheckResponse = { status: 'UNKNOWN' };
    while (!entry.done) {
      const entryTag = entry.varint();
      const field = Math.floor(entryTag / 8);
      const wireType = entryTag & 7;
      if (field === 1 && wireType === WIRE_LEN) service = Buffer.from(entry.bytes(entry.varint())).toString('utf8');
      else if (field === 2 && wireType === WIRE_LEN) status = decodeResponse(entry.bytes(entry.varint()));
      else entry.skip(wireType);
    }
    // Protobuf: of repeated keys, the last one wins.
    statuses.set(service, status);
  }
  return { statuses: Object.fromEntries(statuses) };
}
