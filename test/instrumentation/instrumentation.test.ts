import { context, logs, metrics, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { suppressTracing } from '@opentelemetry/core';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { defaultRegistry } from '../../src/breaker/registry.js';
import { ConfigError } from '../../src/common/config-error.js';
import { BreakwaterInstrumentation } from '../../src/instrumentation/instrumentation.js';
import { collect, meterProvider, pointsOf, TestReader, valueOf } from '../telemetry/metrics-harness.js';
import { fetchOutcome, statusServer, type StatusServer } from './instrumentation-harness.js';

let server: StatusServer;
let live: BreakwaterInstrumentation[] = [];
beforeAll(async () => {
  server = await statusServer();
});
afterAll(() => server.close());
afterEach(() => {
  for (const inst of live) inst.disable();
  live = [];
  server.status = 200;
  metrics.disable();
  trace.disable();
  logs.disable();
  context.disable();
});

function instrumentation(config: ConstructorParameters<typeof BreakwaterInstrumentation>[0] = {}): BreakwaterInstrumentation {
  const inst = new BreakwaterInstrumentation({ instrument: ['fetch'], ...config });
  live.push(inst);
  return inst;
}

const success = (key: string) => ({ 'circuit_breaker.name': key, 'circuit_breaker.outcome': 'success' });

describe('BreakwaterInstrumentation', () => {
  it('works inside NodeSDK: protects fetch and exports breaker metrics through the SDK reader', async () => {
    const reader = new TestReader();
    const inst = instrumentation({ breaker: { failureThreshold: 2, openTimeoutMs: 60_000 } });
    const sdk = new NodeSDK({ instrumentations: [inst], metricReaders: [reader], spanProcessors: [], logRecordProcessors: [] });
    sdk.start();
    const key = `127.0.0.1:${server.port}`;
    expect(await fetchOutcome(`${server.origin}/a`)).toBe(200);
    server.status = 503;
    expect(await fetchOutcome(`${server.origin}/b`)).toBe(503);
    expect(await fetchOutcome(`${server.origin}/c`)).toBe(503);
    const before = server.requests;
    const rejected = await fetchOutcome(`${server.origin}/d`);
    expect(rejected).toMatchObject({ code: 'ECIRCUITOPEN', breakerName: key });
    expect(server.requests).toBe(before);

    const points = await collect(reader);
    expect(valueOf(points, 'circuit_breaker.calls', success(key))).toBe(1);
    expect(valueOf(points, 'circuit_breaker.calls', { 'circuit_breaker.name': key, 'circuit_breaker.outcome': 'failure' })).toBe(2);
    expect(valueOf(points, 'circuit_breaker.rejections', { 'circuit_breaker.name': key, 'circuit_breaker.state': 'open' })).toBe(1);
    expect(valueOf(points, 'circuit_breaker.state', { 'circuit_breaker.name': key, 'circuit_breaker.state': 'open', 'server.address': '127.0.0.1', 'server.port': server.port })).toBe(1);
    await sdk.shutdown();
  });

  it('works with registerInstrumentations, and a second setMeterProvider moves the series without doubling', async () => {
    const first = meterProvider();
    const second = meterProvider();
    const inst = instrumentation();
    const unregister = registerInstrumentations({ instrumentations: [inst], meterProvider: first.provider });
    const key = `127.0.0.1:${server.port}`;
    expect(await fetchOutcome(server.origin)).toBe(200);
    expect(valueOf(await collect(first.reader), 'circuit_breaker.calls', success(key))).toBe(1);

    inst.setMeterProvider(second.provider);
    inst.setMeterProvider(second.provider);
    expect(await fetchOutcome(server.origin)).toBe(200);
    expect(await collect(first.reader)).toEqual([]);
    const points = await collect(second.reader);
    expect(valueOf(points, 'circuit_breaker.calls', success(key))).toBe(2);
    expect(pointsOf(points, 'circuit_breaker.state', { 'circuit_breaker.name': key })).toHaveLength(3);
    unregister();
    await first.provider.shutdown();
    await second.provider.shutdown();
  });

  it('disable() stops protecting and reporting; enable() brings both back with the same breakers', async () => {
    const { provider, reader } = meterProvider();
    const inst = instrumentation({ breaker: { failureThreshold: 1, openTimeoutMs: 60_000 } });
    inst.setMeterProvider(provider);
    const key = `127.0.0.1:${server.port}`;
    server.status = 500;
    expect(await fetchOutcome(server.origin)).toBe(500);
    expect(inst.registry.peek(key)?.state).toBe('open');

    inst.disable();
    expect(await collect(reader)).toEqual([]);
    expect(await fetchOutcome(server.origin)).toBe(500); // goes through although the breaker is open
    expect(inst.registry.peek(key)?.metrics.totalCalls).toBe(1);

    inst.enable();
    expect(await fetchOutcome(server.origin)).toMatchObject({ code: 'ECIRCUITOPEN' });
    expect(valueOf(await collect(reader), 'circuit_breaker.rejections', { 'circuit_breaker.name': key, 'circuit_breaker.state': 'open' })).toBe(1);
    await provider.shutdown();
  });

  it('also reports @circuitBreaker / defaultRegistry breakers, each once', async () => {
    const { provider, reader } = meterProvider();
    const inst = instrumentation();
    inst.setMeterProvider(provider);
    await defaultRegistry.get('decorated-payments').execute(async () => 1);
    try {
      const points = await collect(reader);
      expect(valueOf(points, 'circuit_breaker.calls', success('decorated-payments'))).toBe(1);
    } finally {
      defaultRegistry.delete('decorated-payments');
    }
    expect(pointsOf(await collect(reader), 'circuit_breaker.calls', { 'circuit_breaker.name': 'decorated-payments' })).toEqual([]);
    await provider.shutdown();
  });

  it('breakerFor: none when disabled, excluded or suppressed; per-destination overrides; server attributes', () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    const inst = instrumentation({
      breaker: { failureThreshold: 7 },
      destinations: { '*.payments.internal': { failureThreshold: 2 }, 'db:5432': { openTimeoutMs: 1_000, maxOpenTimeoutMs: 1_000 } },
      excludeHosts: ['localhost', '*.svc.cluster.local', 'metrics:9090', /^10\./],
    });
    const ctx = (inst as unknown as { _parts: { context: import('../../src/instrumentation/client-context.js').ClientContext } })._parts.context;
    expect(ctx.breakerFor('localhost', 80)).toBeUndefined();
    expect(ctx.breakerFor('LOCALHOST', 443)).toBeUndefined();
    expect(ctx.breakerFor('api.svc.cluster.local', 80)).toBeUndefined();
    expect(ctx.breakerFor('metrics', 9090)).toBeUndefined();
    expect(ctx.breakerFor('metrics', 9091)).toBeDefined();
    expect(ctx.breakerFor('10.1.2.3', 80)).toBeUndefined();
    expect(context.with(suppressTracing(context.active()), () => ctx.breakerFor('api.example.com', 443))).toBeUndefined();

    const api = ctx.breakerFor('api.example.com', 443)!;
    expect(api.name).toBe('api.example.com:443');
    expect(api.attributes).toEqual({ 'server.address': 'api.example.com', 'server.port': 443 });
    expect(ctx.breakerFor('api.example.com', 443)).toBe(api);
    expect(ctx.breakerFor('::1', 8080)!.name).toBe('[::1]:8080');
    expect(ctx.breakerForTarget('grpc.example.com:50051')!.attributes).toEqual({ 'server.address': 'grpc.example.com', 'server.port': 50051 });

    const trip = (name: string, port: number) => {
      const b = ctx.breakerFor(name, port)!;
      let n = 0;
      while (b.state === 'closed' && n < 10) { b.tryAcquire()!.failure(new Error('x')); n++; }
      return n;
    };
    expect(trip('eu.payments.internal', 443)).toBe(2);
    expect(trip('payments.internal', 443)).toBe(7); // the wildcard matches subdomains only
    expect(trip('api.example.com', 443)).toBe(7);

    expect(ctx.isFailureStatus(503)).toBe(true);
    expect(ctx.isFailureStatus(429)).toBe(true);
    expect(ctx.isFailureStatus(404)).toBe(false);
    expect(ctx.isFailureGrpcCode(14)).toBe(true);
    expect(ctx.isFailureGrpcCode(5)).toBe(false);

    inst.disable();
    expect(ctx.breakerFor('api.example.com', 443)).toBeUndefined();
  });

  it('applies httpFailureStatus and grpcFailureCodes', () => {
    const inst = instrumentation({ httpFailureStatus: '404,500-502', grpcFailureCodes: ['NOT_FOUND', 13] });
    const ctx = (inst as unknown as { _parts: { context: import('../../src/instrumentation/client-context.js').ClientContext } })._parts.context;
    expect([404, 500, 502, 503, 429].map((s) => ctx.isFailureStatus(s))).toEqual([true, true, true, false, false]);
    expect([5, 13, 14].map((c) => ctx.isFailureGrpcCode(c))).toEqual([true, true, false]);
  });

  it('rejects a bad config at construction, naming the option and value', () => {
    const bad: [object, string][] = [
      [{ maxBreakers: 0 }, 'option "maxBreakers" must be an integer >= 1, got 0'],
      [{ instrument: ['http', 'smtp'] }, `option "instrument" must be an array of 'http', 'fetch', 'grpc', got ["http","smtp"]`],
      [{ httpFailureStatus: '500-99' }, `option "httpFailureStatus" must be HTTP statuses (100-599) or ranges like '500-599', comma separated, got "500-99"`],
      [{ grpcFailureCodes: ['NOPE'] }, 'option "grpcFailureCodes" must be gRPC status codes 1-16 or their names, such as UNAVAILABLE (0 is OK, never a failure), got ["NOPE"]'],
      [{ grpcFailureCodes: ['OK'] }, '(0 is OK, never a failure), got ["OK"]'],
      [{ grpcFailureCodes: [0, 'UNAVAILABLE'] }, '(0 is OK, never a failure), got [0,"UNAVAILABLE"]'],
      [{ excludeHosts: ['*.'] }, `option "excludeHosts[0]" must be a wildcard of the form '*.example.com', got "*."`],
      [{ breaker: { failureThreshold: -1 } }, 'option "breaker.failureThreshold" must be an integer >= 1, got -1'],
      [{ breaker: { openTimeoutMs: 0 } }, 'option "breaker.openTimeoutMs" must be a number > 0, got 0'],
      [{ breaker: { callTimeoutMs: 2 ** 31 } }, 'option "breaker.callTimeoutMs" must be a number of milliseconds > 0 and at most 2147483647'],
      [{ breaker: { failureTreshold: 3 } }, 'unknown option "breaker.failureTreshold" (did you mean "failureThreshold"?)'],
      [{ destinations: { 'a:99999': {} } }, 'option "destinations["a:99999"]" must be a host with a port from 1 to 65535, got "a:99999"'],
      [{ destinations: { a: { halfOpenMaxCalls: 0 } } }, 'option "destinations["a"].halfOpenMaxCalls" must be an integer >= 1, got 0'],
      [{ breaker: { name: 'x' } }, 'option "breaker.name" must be left unset (it comes from the destination), got "x"'],
      [{ durationHistogram: 'yes' }, 'option "durationHistogram" must be true or false, got "yes"'],
      [{ retry: { attempts: 0 } }, 'option "retry.attempts" must be an integer >= 1, got 0'],
      [{ retry: { attempts: 2, maxDelayMs: 2 ** 31 } }, 'option "retry.maxDelayMs" must be a number of milliseconds from 0 to 2147483647'],
      [{ failureTreshold: 3 }, 'unknown option "failureTreshold"'],
      [{ health: { prot: 8080 } }, 'unknown option "health.prot" (did you mean "port"?)'],
    ];
    for (const [config, message] of bad) {
      let err: unknown;
      try {
        new BreakwaterInstrumentation(config as never);
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(config)).toBeInstanceOf(ConfigError);
      // One prefix, the public name; never an internal breaker name or a nested second message.
      expect((err as Error).message).toMatch(/^BreakwaterInstrumentation: (option|unknown option) "/);
      expect((err as Error).message).toContain(message);
      expect((err as Error).message).not.toMatch(/breakwater:|config-check|CircuitBreaker "/);
    }
  });

  it('setConfig() replaces the whole config: breaker options left out are back to their defaults, and getConfig() says what is in force', () => {
    const inst = instrumentation({ breaker: { failureThreshold: 1, openTimeoutMs: 60_000 }, maxBreakers: 10 });
    const ctx = (inst as unknown as { _parts: { context: import('../../src/instrumentation/client-context.js').ClientContext } })._parts.context;
    const trip = (host: string) => {
      const b = ctx.breakerFor(host, 443)!;
      let n = 0;
      while (b.state === 'closed' && n < 10) { b.tryAcquire()!.failure(new Error('x')); n++; }
      return n;
    };
    expect(trip('before.example.com')).toBe(1);
    inst.setConfig({});
    // Breakers made from now on, through the context or the registry, get the defaults (5 failures).
    expect(trip('after.example.com')).toBe(5);
    const manual = inst.registry.get('manual:1');
    for (let i = 0; i < 5; i++) manual.tryAcquire()!.failure(new Error('x'));
    expect(manual.state).toBe('open');
    expect(manual.retryAfterMs()).toBeLessThanOrEqual(5_000); // the default open wait, not 60 s
    // Options read at construction only keep their value, and getConfig() shows it.
    const { instrument, ...rest } = inst.getConfig(); // the harness's instrument list, kept as well
    expect(rest).toEqual({ enabled: true, maxBreakers: 10 });
    expect(inst.registry.maxBreakers).toBe(10);
    inst.setConfig({ breaker: { failureThreshold: 2 } });
    expect(trip('third.example.com')).toBe(2);
    expect(inst.getConfig()).toEqual({ enabled: true, breaker: { failureThreshold: 2 }, maxBreakers: 10, instrument });
    const warnings: string[] = [];
    (inst as unknown as { _diag: { warn(m: string): void } })._diag = { warn: (m) => warnings.push(m) };
    inst.setConfig({ maxBreakers: 99, instrument });
    expect(inst.getConfig().maxBreakers).toBe(10);
    expect(inst.registry.maxBreakers).toBe(10);
    expect(warnings).toEqual(['breakwater: setConfig(): "maxBreakers" is read at construction only; its first value stays in force']);
    expect(() => inst.setConfig({ breaker: { openTimeoutMs: 0 } })).toThrow(ConfigError);
    expect(inst.getConfig().breaker).toBeUndefined(); // a refused config changes nothing
  });

  it('is named breakwater with the package version and exposes a read-only registry', async () => {
    const inst = instrumentation({ enabled: false });
    const { version } = (await import('../../package.json', { with: { type: 'json' } })).default;
    expect(inst.instrumentationName).toBe('breakwater');
    expect(inst.instrumentationVersion).toBe(version);
    expect(inst.registry.maxBreakers).toBe(250);
    expect(Object.getOwnPropertyDescriptor(BreakwaterInstrumentation.prototype, 'registry')?.set).toBeUndefined();
  });

  it('records call durations only when durationHistogram is on', async () => {
    const on = meterProvider();
    const inst = instrumentation({ durationHistogram: true });
    inst.setMeterProvider(on.provider);
    expect(await fetchOutcome(server.origin)).toBe(200);
    const key = `127.0.0.1:${server.port}`;
    const [point] = pointsOf(await collect(on.reader), 'circuit_breaker.call.duration', { 'circuit_breaker.name': key, 'circuit_breaker.outcome': 'success' });
    expect(point?.unit).toBe('s');
    expect((point?.value as { count: number }).count).toBe(1);
    inst.disable();

    const off = meterProvider();
    const plain = instrumentation();
    plain.setMeterProvider(off.provider);
    expect(await fetchOutcome(server.origin)).toBe(200);
    expect(pointsOf(await collect(off.reader), 'circuit_breaker.call.duration')).toEqual([]);
    await on.provider.shutdown();
    await off.provider.shutdown();
  });

  it('puts rejection and transition events on the span of the call that caused them', async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    const exporter = new InMemorySpanExporter();
    const { TracerProvider } = await import('@opentelemetry/sdk-trace');
    const tracerProvider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
    const tracer = tracerProvider.getTracer('test');
    instrumentation({ breaker: { failureThreshold: 1, openTimeoutMs: 60_000 } });
    server.status = 503;
    const key = `127.0.0.1:${server.port}`;
    await tracer.startActiveSpan('tripping call', async (span) => {
      await fetchOutcome(server.origin);
      span.end();
    });
    await tracer.startActiveSpan('rejected call', async (span) => {
      await fetchOutcome(server.origin);
      span.end();
    });
    const spans = Object.fromEntries(exporter.getFinishedSpans().map((s) => [s.name, s.events]));
    expect(spans['tripping call']).toEqual([
      expect.objectContaining({
        name: 'circuit_breaker.state_change',
        attributes: { 'circuit_breaker.name': key, 'circuit_breaker.transition.from': 'closed', 'circuit_breaker.transition.to': 'open' },
      }),
    ]);
    expect(spans['rejected call']).toEqual([
      expect.objectContaining({ name: 'circuit_breaker.rejected', attributes: { 'circuit_breaker.name': key, 'circuit_breaker.state': 'open' } }),
    ]);
    await tracerProvider.shutdown();
  });

  it('with events: { spans: false }, adds no span events; setConfig() turns them back on', async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    const exporter = new InMemorySpanExporter();
    const { TracerProvider } = await import('@opentelemetry/sdk-trace');
    const tracerProvider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
    const tracer = tracerProvider.getTracer('test');
    const breaker = { failureThreshold: 1, openTimeoutMs: 60_000 };
    const inst = instrumentation({ breaker, events: { spans: false } });
    server.status = 503;
    const call = (name: string) => tracer.startActiveSpan(name, async (span) => {
      await fetchOutcome(server.origin);
      span.end();
    });
    await call('tripping call');
    await call('rejected call');
    inst.setConfig({ instrument: ['fetch'], breaker });
    await call('rejected again');
    const events = Object.fromEntries(exporter.getFinishedSpans().map((s) => [s.name, s.events.map((e) => e.name)]));
    expect(events).toEqual({ 'tripping call': [], 'rejected call': [], 'rejected again': ['circuit_breaker.rejected'] });
    await tracerProvider.shutdown();
  });

  it('inside NodeSDK, emits transitions and rejections as log records on the call\'s trace', async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    const { InMemoryLogRecordExporter, SimpleLogRecordProcessor } = await import('@opentelemetry/sdk-logs');
    const logExporter = new InMemoryLogRecordExporter();
    const inst = instrumentation({ breaker: { failureThreshold: 1, openTimeoutMs: 60_000 } });
    const sdk = new NodeSDK({
      instrumentations: [inst], metricReaders: [], spanProcessors: [new SimpleSpanProcessor({ exporter: new InMemorySpanExporter() })],
      logRecordProcessors: [new SimpleLogRecordProcessor({ exporter: logExporter })],
    });
    sdk.start();
    server.status = 503;
    const key = `127.0.0.1:${server.port}`;
    const traceId = await trace.getTracer('test').startActiveSpan('calls', async (span) => {
      await fetchOutcome(server.origin);
      await fetchOutcome(server.origin);
      await fetchOutcome(server.origin); // within the second: no second rejection record
      span.end();
      return span.spanContext().traceId;
    });
    // The SDK exports a record once its resource is detected: flush before reading.
    await (logs.getLoggerProvider() as unknown as { forceFlush(): Promise<void> }).forceFlush();
    const records = logExporter.getFinishedLogRecords();
    expect(records.map((r) => [r.instrumentationScope.name, r.eventName, r.spanContext?.traceId])).toEqual([
      ['breakwater', 'circuit_breaker.state_change', traceId],
      ['breakwater', 'circuit_breaker.rejected', traceId],
    ]);
    expect(records.map((r) => r.attributes)).toEqual([
      { 'circuit_breaker.name': key, 'circuit_breaker.transition.from': 'closed', 'circuit_breaker.transition.to': 'open' },
      { 'circuit_breaker.name': key, 'circuit_breaker.state': 'open', 'circuit_breaker.rejected_count': 1 },
    ]);
    await sdk.shutdown();
  });
});
