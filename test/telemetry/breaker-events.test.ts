import { context, diag, SeverityNumber, trace, type DiagLogger } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CircuitBreaker } from '../../src/breaker/circuit-breaker.js';
import { BreakerRegistry } from '../../src/breaker/registry.js';
import { BreakerEventReporter, type EventTargets } from '../../src/telemetry/breaker-events.js';
import { BreakwaterTelemetry } from '../../src/telemetry/telemetry.js';

const NAME = 'pay:443';
const fail = async (): Promise<never> => {
  throw new Error('down');
};

/** A telemetry whose events go to an in-memory log exporter (the rejection limit runs on fake timers). */
function setup(events?: EventTargets) {
  vi.useFakeTimers({ toFake: ['setTimeout'] });
  const breakerTime = { t: 1_000_000 };
  const exporter = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter })] });
  const registry = new BreakerRegistry({
    defaults: { failureThreshold: 1, openTimeoutMs: 1_000, clock: { now: () => breakerTime.t } },
  });
  const telemetry = new BreakwaterTelemetry({
    registries: [registry],
    ...(events ? { events } : {}),
    logger: provider.getLogger('breakwater'),
  });
  telemetry.enable();
  const records = () =>
    exporter.getFinishedLogRecords().map((r) => ({
      eventName: r.eventName,
      severityNumber: r.severityNumber,
      scope: r.instrumentationScope.name,
      attributes: { ...r.attributes },
    }));
  return { breakerTime, registry, telemetry, provider, exporter, records };
}

async function rejectTimes(breaker: CircuitBreaker, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await breaker.execute(async () => 'never').catch(() => {});
}

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  trace.disable();
  context.disable();
});

describe('breaker events as log records', () => {
  it('emits every transition, named and attributed as the span events are', async () => {
    const { breakerTime, registry, records } = setup();
    const b = registry.get(NAME);
    await b.execute(fail).catch(() => {});
    breakerTime.t += 1_000;
    await b.execute(async () => 'ok');
    const transitions = records().filter((r) => r.eventName === 'circuit_breaker.state_change');
    const pair = (from: string, to: string) => ({ 'circuit_breaker.name': NAME, 'circuit_breaker.transition.from': from, 'circuit_breaker.transition.to': to });
    expect(transitions).toEqual([
      { eventName: 'circuit_breaker.state_change', severityNumber: SeverityNumber.WARN, scope: 'breakwater', attributes: pair('closed', 'open') },
      { eventName: 'circuit_breaker.state_change', severityNumber: SeverityNumber.INFO, scope: 'breakwater', attributes: pair('open', 'half_open') },
      { eventName: 'circuit_breaker.state_change', severityNumber: SeverityNumber.INFO, scope: 'breakwater', attributes: pair('half_open', 'closed') },
    ]);
  });

  it('emits at most one rejection record per breaker per second, counting the rejections since the last one', async () => {
    const { registry, records } = setup();
    const b = registry.get(NAME);
    const other = registry.get('other:443');
    b.forceOpen();
    other.forceOpen();
    const rejections = () => records().filter((r) => r.eventName === 'circuit_breaker.rejected');
    const record = (name: string, count: number) => ({
      eventName: 'circuit_breaker.rejected',
      severityNumber: SeverityNumber.WARN,
      scope: 'breakwater',
      attributes: { 'circuit_breaker.name': name, 'circuit_breaker.state': 'open', 'circuit_breaker.rejected_count': count },
    });

    await rejectTimes(b, 5);
    expect(rejections()).toEqual([record(NAME, 1)]);
    await rejectTimes(other, 1); // each breaker has its own limit
    expect(rejections()).toEqual([record(NAME, 1), record('other:443', 1)]);
    vi.advanceTimersByTime(999);
    await rejectTimes(b, 1);
    expect(rejections()).toHaveLength(2);
    vi.advanceTimersByTime(1);
    await rejectTimes(b, 1); // 4 + 1 held back, and this one
    expect(rejections()).toEqual([record(NAME, 1), record('other:443', 1), record(NAME, 6)]);
    expect(vi.getTimerCount()).toBe(1); // the one breaker's window, and nothing else
    vi.advanceTimersByTime(60_000);
    await rejectTimes(b, 1);
    expect(rejections().at(-1)).toEqual(record(NAME, 1));
    expect(b.metrics.rejectedCalls).toBe(8); // the metric counts every one
  });

  it('holds the process open with no timer of its own', async () => {
    const { registry } = setup();
    vi.useRealTimers();
    const timers = vi.spyOn(globalThis, 'setTimeout');
    const b = registry.get(NAME);
    b.forceOpen();
    await rejectTimes(b, 2);
    expect(timers).toHaveBeenCalledTimes(1);
    const timer = timers.mock.results[0]!.value as NodeJS.Timeout;
    expect(timer.hasRef()).toBe(false);
    clearTimeout(timer);
  });

  it('names the half-open state and shadow mode on rejections', async () => {
    const { breakerTime, registry, records } = setup();
    const b = registry.get(NAME, { halfOpenMaxCalls: 1 });
    await b.execute(fail).catch(() => {});
    breakerTime.t += 1_000;
    const probe = b.tryAcquire();
    expect(b.tryAcquire()).toBeUndefined();
    probe!.success();
    const shadow = registry.get('shadow:443', { shadow: true });
    await shadow.execute(fail).catch(() => {});
    expect(await shadow.execute(async () => 'let through')).toBe('let through');
    expect(records().filter((r) => r.eventName === 'circuit_breaker.rejected').map((r) => r.attributes)).toEqual([
      { 'circuit_breaker.name': NAME, 'circuit_breaker.state': 'half_open', 'circuit_breaker.rejected_count': 1 },
      { 'circuit_breaker.name': 'shadow:443', 'circuit_breaker.state': 'open', 'circuit_breaker.shadow': true, 'circuit_breaker.rejected_count': 1 },
    ]);
  });

  it('carries the trace context of the call that caused the event', async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    const tracerProvider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: new InMemorySpanExporter() })] });
    const { registry, exporter } = setup();
    const b = registry.get(NAME);
    const spanId = await tracerProvider.getTracer('test').startActiveSpan('tripping call', async (span) => {
      await b.execute(fail).catch(() => {});
      span.end();
      return span.spanContext().spanId;
    });
    expect(exporter.getFinishedLogRecords().map((r) => r.spanContext?.spanId)).toEqual([spanId]);
    await tracerProvider.shutdown();
  });

  it('goes to the logger set last, and reports a failing logger once through diag without failing the call', async () => {
    const { registry, telemetry, records } = setup();
    const b = registry.get(NAME);
    const errors: unknown[][] = [];
    const logger: DiagLogger = { error: (...args) => void errors.push(args), warn() {}, info() {}, debug() {}, verbose() {} };
    diag.setLogger(logger);
    try {
      const broken = new BreakwaterTelemetry({
        registries: [registry],
        logger: { emit: () => { throw new Error('exporter down'); }, enabled: () => true },
      });
      broken.enable();
      await b.execute(fail).catch(() => {});
      await rejectTimes(b, 3);
      expect(b.metrics.rejectedCalls).toBe(3);
      expect(errors).toHaveLength(1);
      expect(String(errors[0]![0])).toContain('reporting a breaker event failed');
      broken.disable();
    } finally {
      diag.disable();
    }
    expect(records().map((r) => r.eventName)).toEqual(['circuit_breaker.state_change', 'circuit_breaker.rejected']);

    const second = new InMemoryLogRecordExporter();
    const provider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter: second })] });
    telemetry.setLogger(provider.getLogger('breakwater'));
    b.reset();
    expect(second.getFinishedLogRecords().map((r) => r.attributes['circuit_breaker.transition.to'])).toEqual(['closed']);
  });
});

describe('event targets', () => {
  it('with logs off, emits no records (the span events still come)', async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    const spans = new InMemorySpanExporter();
    const tracerProvider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: spans })] });
    const { registry, records } = setup({ spans: true, logs: false });
    const b = registry.get(NAME);
    await tracerProvider.getTracer('test').startActiveSpan('call', async (span) => {
      await b.execute(fail).catch(() => {});
      await rejectTimes(b, 1);
      span.end();
    });
    expect(records()).toEqual([]);
    expect(spans.getFinishedSpans()[0]!.events.map((e) => e.name)).toEqual(['circuit_breaker.state_change', 'circuit_breaker.rejected']);
    await tracerProvider.shutdown();
  });

  it('with spans off, adds no span events (the records still come)', async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    const spans = new InMemorySpanExporter();
    const tracerProvider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: spans })] });
    const { registry, records } = setup({ spans: false, logs: true });
    const b = registry.get(NAME);
    await tracerProvider.getTracer('test').startActiveSpan('call', async (span) => {
      await b.execute(fail).catch(() => {});
      await rejectTimes(b, 1);
      span.end();
    });
    expect(spans.getFinishedSpans()[0]!.events).toEqual([]);
    expect(records().map((r) => r.eventName)).toEqual(['circuit_breaker.state_change', 'circuit_breaker.rejected']);
    await tracerProvider.shutdown();
  });

  it('with both off, subscribes no listener to any breaker; turned on, it subscribes them', async () => {
    const on = vi.spyOn(CircuitBreaker.prototype, 'on');
    const reported = vi.spyOn(BreakerEventReporter.prototype, 'rejection');
    const { registry, telemetry, records } = setup({ spans: false, logs: false });
    const before = registry.get('before:443'); // followed at once, before any call
    const after = registry.get(NAME); // created while followed
    await after.execute(fail).catch(() => {});
    await rejectTimes(after, 3);
    expect(on).not.toHaveBeenCalled();
    expect(reported).not.toHaveBeenCalled();
    expect(records()).toEqual([]);

    telemetry.setEvents({ spans: false, logs: true });
    expect(on.mock.calls.map(([event]) => event).sort()).toEqual(['rejection', 'rejection', 'stateChange', 'stateChange']);
    expect(new Set(on.mock.contexts)).toEqual(new Set([before, after]));
    await rejectTimes(after, 1);
    expect(reported).toHaveBeenCalledTimes(1);
    expect(records().map((r) => r.eventName)).toEqual(['circuit_breaker.rejected']);

    // Off again: the listeners go, so a rejection calls nothing of telemetry's.
    const off = vi.spyOn(CircuitBreaker.prototype, 'off');
    telemetry.setEvents({ spans: false, logs: false });
    expect(off).toHaveBeenCalledTimes(4);
    vi.advanceTimersByTime(10_000);
    await rejectTimes(after, 1);
    expect(reported).toHaveBeenCalledTimes(1);
  });
});
