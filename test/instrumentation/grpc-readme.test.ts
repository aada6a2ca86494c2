/**
 * The README's gRPC example (clients section, subsection "grpc"), run as written (ESM) against a
 * real grpc-js server on loopback whose `shop.Orders/GetOrder` answers UNAVAILABLE: it must print
 * its `// → ` lines, and the call the open breaker refused must never reach the server.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as Grpc from '@grpc/grpc-js';
import { afterAll, afterEach, expect, it } from 'vitest';
import { codeBlocks, expectedLines, readmeSection } from '../readme-blocks.js';
import { removeExamples, runExample, trackInstrumentations } from './readme-example.js';

const require = createRequire(import.meta.url);
const grpc = require('@grpc/grpc-js') as typeof Grpc;
const protoLoader = require('@grpc/proto-loader') as typeof import('@grpc/proto-loader');

/** The `orders.proto` the example loads. */
const ORDERS_PROTO = `syntax = "proto3";
package shop;
service Orders { rpc GetOrder (GetOrderRequest) returns (Order); }
message GetOrderRequest { int32 id = 1; }
message Order { int32 id = 1; string item = 2; }
`;

const protoDir = mkdtempSync(join(tmpdir(), 'breakwater-grpc-readme-'));
const protoFile = join(protoDir, 'orders.proto');
writeFileSync(protoFile, ORDERS_PROTO);

const tracked = trackInstrumentations();
let server: Grpc.Server | undefined;
afterEach(() => {
  tracked.disableAll();
  server?.forceShutdown();
});
afterAll(() => {
  tracked.restore();
  removeExamples();
  rmSync(protoDir, { recursive: true, force: true });
});

/** A server whose GetOrder always fails with UNAVAILABLE; `calls()` counts the calls it received. */
async function unavailableOrders(): Promise<{ port: number; calls: () => number }> {
  const pkg = grpc.loadPackageDefinition(protoLoader.loadSync(protoFile)) as unknown as {
    shop: { Orders: { service: Grpc.ServiceDefinition } };
  };
  let calls = 0;
  server = new grpc.Server();
  server.addService(pkg.shop.Orders.service, {
    GetOrder: (_call: unknown, callback: Grpc.sendUnaryData<unknown>) => {
      calls++;
      callback({ code: grpc.status.UNAVAILABLE, details: 'down for maintenance' });
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server!.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return { port, calls: () => calls };
}

it('the gRPC example prints what it says, and the open breaker sends nothing', async () => {
  const blocks = codeBlocks(readmeSection('grpc', 'subsection'), ['js']);
  expect(blocks).toHaveLength(1);
  const { code } = blocks[0]!;
  expect(code).toMatch(/^import /); // ESM, as an application would write it

  const { port, calls } = await unavailableOrders();
  const destination = `127.0.0.1:${port}`;
  const printed = await runExample('grpc', code, [
    ['orders.internal:50051', destination],
    ["'orders.proto'", JSON.stringify(protoFile)],
  ]);
  const expected = expectedLines(code).map((line) => line.replaceAll('orders.internal:50051', destination));
  expect(expected).toHaveLength(2);
  expect(printed).toEqual(expected);
  expect(calls()).toBe(2); // the third call was refused before the channel
});
