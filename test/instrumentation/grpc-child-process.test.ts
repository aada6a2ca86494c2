/**
 * The gRPC patch in real application processes, against the built package (`npm test` builds
 * first; while working, run `npm run build`):
 * - an ESM app (`import grpc from '@grpc/grpc-js'`) protected with `--import breakwater/register`;
 * - a CommonJS app that also uses @opentelemetry/instrumentation-grpc, with the two registered in
 *   either order: both patches apply (their spans, our breakers) and neither undoes the other.
 * The server runs in this (test) process; the app in a child process started with
 * `process.execPath` and its cwd in the repo so that it resolves the same node_modules.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ECHO_PROTO, startGrpcTestServer, type GrpcTestServer } from './grpc-test-server.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const register = `${repo}dist/esm/register.js`;
const registerCjs = `${repo}dist/cjs/register.js`;
const cjsInstrumentation = `${repo}dist/cjs/instrumentation.js`;

interface ChildResult {
  code: number;
  details?: string;
  cause?: string;
}

function runChild(args: string[], env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      args,
      {
        cwd: repo,
        timeout: 30_000,
        env: { PATH: process.env.PATH ?? '', OTEL_METRICS_EXPORTER: 'none', ...env },
      },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`child failed: ${err.message}\nstdout: ${stdout}\nstderr: ${stderr}`));
        else resolve(stdout);
      },
    );
  });
}

/** Four unary calls against TARGET; prints what each ended with, as JSON on the last line. */
const UNARY_CALLS = `
  const proto = protoLoader.loadSync(process.env.PROTO, { keepCase: true, defaults: true });
  const { Echo } = grpc.loadPackageDefinition(proto).breakwater.test;
  const client = new Echo(process.env.TARGET, credentials.createInsecure());
  const unary = () => new Promise((resolve) => client.Unary({ text: 'x' }, (err) =>
    resolve(err ? { code: err.code, details: err.details, cause: err.cause?.code } : { code: 0 })));
  const results = [];
  for (let i = 0; i < 4; i++) results.push(await unary());
  client.close();
`;

beforeAll(() => {
  if (!existsSync(register) || !existsSync(cjsInstrumentation)) {
    throw new Error('these tests run the built package: run `npm run build` first (npm test does)');
  }
});

let server: GrpcTestServer;
beforeEach(async () => {
  server = await startGrpcTestServer();
  server.fail(14); // UNAVAILABLE
});
afterEach(async () => {
  await server.close();
});

function expectOpenedAfterTwo(results: ChildResult[]): void {
  expect(results.map((r) => r.code)).toEqual([14, 14, 14, 14]);
  expect(results.slice(0, 2).every((r) => r.cause === undefined)).toBe(true);
  for (const r of results.slice(2)) {
    expect(r.cause).toBe('ECIRCUITOPEN');
    expect(r.details).toContain(`circuit breaker "${server.target}" is open`);
  }
  expect(server.calls).toBe(2);
}

it('protects an ESM app through --import breakwater/register', async () => {
  const app = `
    import grpc from '@grpc/grpc-js';
    import { credentials } from '@grpc/grpc-js';
    import protoLoader from '@grpc/proto-loader';
    ${UNARY_CALLS}
    console.log(JSON.stringify(results));
  `;
  const stdout = await runChild(['--import', register, '--input-type=module', '-e', app], {
    TARGET: server.target,
    PROTO: ECHO_PROTO,
    BREAKWATER_INSTRUMENT: 'grpc',
    BREAKWATER_FAILURE_THRESHOLD: '2',
  });
  expectOpenedAfterTwo(JSON.parse(stdout.trim().split('\n').pop()!));
});

it('protects a CommonJS app through --require breakwater/register', async () => {
  const app = `
    const grpc = require('@grpc/grpc-js');
    const { credentials } = grpc;
    const protoLoader = require('@grpc/proto-loader');
    (async () => {
      ${UNARY_CALLS}
      console.log(JSON.stringify(results));
    })();
  `;
  const stdout = await runChild(['--require', registerCjs, '-e', app], {
    TARGET: server.target,
    PROTO: ECHO_PROTO,
    BREAKWATER_INSTRUMENT: 'grpc',
    BREAKWATER_FAILURE_THRESHOLD: '2',
  });
  expectOpenedAfterTwo(JSON.parse(stdout.trim().split('\n').pop()!));
});

describe.each(['instrumentation-grpc first', 'breakwater first'])('with @opentelemetry/instrumentation-grpc, %s', (order) => {
  it('records a span for every call and still fails fast once open', async () => {
    const app = `
      const { TracerProvider, InMemorySpanExporter, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace');
      const { GrpcInstrumentation } = require('@opentelemetry/instrumentation-grpc');
      const { BreakwaterInstrumentation } = require(process.env.BREAKWATER);
      const exporter = new InMemorySpanExporter();
      const tracerProvider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
      const makers = {
        otel: () => { const i = new GrpcInstrumentation(); i.setTracerProvider(tracerProvider); return i; },
        breakwater: () => new BreakwaterInstrumentation({ instrument: ['grpc'], breaker: { failureThreshold: 2 } }),
      };
      const order = process.env.ORDER === 'breakwater first' ? ['breakwater', 'otel'] : ['otel', 'breakwater'];
      const instances = order.map((name) => makers[name]());
      const grpc = require('@grpc/grpc-js');
      const { credentials } = grpc;
      const protoLoader = require('@grpc/proto-loader');
      (async () => {
        ${UNARY_CALLS}
        await tracerProvider.forceFlush(); // SimpleSpanProcessor exports asynchronously
        const spans = exporter.getFinishedSpans().map((s) => ({
          name: s.name, kind: s.kind, status: s.status.code, code: s.attributes['rpc.grpc.status_code'],
        }));
        // breakwater's patch shows in the results (rejections); instrumentation-grpc's here
        const patched = { otel: typeof grpc.Client.prototype.makeUnaryRequest.__original === 'function' };
        instances.forEach((i) => i.disable());
        console.log(JSON.stringify({ results, spans, patched }));
      })();
    `;
    const stdout = await runChild(['-e', app], {
      TARGET: server.target,
      PROTO: ECHO_PROTO,
      BREAKWATER: cjsInstrumentation,
      ORDER: order,
    });
    const { results, spans, patched } = JSON.parse(stdout.trim().split('\n').pop()!) as {
      results: ChildResult[];
      spans: Array<{ name: string; kind: number; status: number; code: number }>;
      patched: { otel: boolean };
    };
    expectOpenedAfterTwo(results);
    expect(patched.otel).toBe(true);
    // one CLIENT span per call, rejected ones included, each with the status the caller saw
    const clientSpans = spans.filter((s) => s.kind === 2);
    expect(clientSpans).toHaveLength(4);
    for (const s of clientSpans) {
      expect(s.name).toBe('grpc.breakwater.test.Echo/Unary');
      expect(s.code).toBe(14);
      expect(s.status).toBe(2); // ERROR
    }
  });
});
