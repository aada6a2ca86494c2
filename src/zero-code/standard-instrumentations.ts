import { list } from '../config/env.js';

type Env = Readonly<Record<string, string | undefined>>;

/** The standard OpenTelemetry client instrumentations zero-code starts (http.client.request.duration for every client). */
export const STANDARD_INSTRUMENTATIONS = [
  { id: 'http', package: '@opentelemetry/instrumentation-http', className: 'HttpInstrumentation' },
  { id: 'undici', package: '@opentelemetry/instrumentation-undici', className: 'UndiciInstrumentation' },
] as const;

export type StandardInstrumentation = (typeof STANDARD_INSTRUMENTATIONS)[number];

/**
 * Which of them to start, by @opentelemetry/auto-instrumentations-node's rule: names are the
 * package suffixes (`http`, `undici`); OTEL_NODE_ENABLED_INSTRUMENTATIONS, when set, lists the
 * only ones to start; OTEL_NODE_DISABLED_INSTRUMENTATIONS wins over it.
 */
export function enabledStandardInstrumentations(env: Env): StandardInstrumentation[] {
  const enabled = env.OTEL_NODE_ENABLED_INSTRUMENTATIONS ? list(env.OTEL_NODE_ENABLED_INSTRUMENTATIONS) : undefined;
  const disabled = list(env.OTEL_NODE_DISABLED_INSTRUMENTATIONS ?? '');
  return STANDARD_INSTRUMENTATIONS.filter((i) => (enabled === undefined || enabled.includes(i.id)) && !disabled.includes(i.id));
}

