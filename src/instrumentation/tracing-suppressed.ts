import type { Context } from '@opentelemetry/api';

// @opentelemetry/core's key, rebuilt as the API's createContextKey() builds it (Symbol.for): an
// exporter's own request, sent under core's suppressTracing(), is never put behind a breaker, the
// library install needs no @opentelemetry/core, and the health checks that use it load no api.
const SUPPRESS_TRACING_KEY = Symbol.for('OpenTelemetry SDK Context Key SUPPRESS_TRACING');

export function isTracingSuppressed(ctx: Context): boolean {
  return ctx.getValue(SUPPRESS_TRACING_KEY) === true;
}

/** `ctx` with tracing suppressed, as core's suppressTracing() sets it: no span, and no breaker. */
export function suppressTracing(ctx: Context): Context {
  return ctx.setValue(SUPPRESS_TRACING_KEY, true);
}
