import type { IMetricReader } from '@opentelemetry/sdk-metrics';
import { list } from '../config/env.js';
import { describe } from '../common/config-error.js';
import { servePrometheus, type PrometheusExporterClass } from './prometheus-endpoint.js';

type Env = Readonly<Record<string, string | undefined>>;
type Warn = (message: string) => void;

/** What breakwater/register passes to NodeSDK; `undefined` leaves that signal to NodeSDK's own env handling. */
export interface ExporterChoice {
  metricReaders: IMetricReader[] | undefined;
  /** No tracer provider (NodeSDK's own default would export OTLP to localhost:4318). */
  tracesOff: boolean;
  /** No log record processors (same reason). */
  logsOff: boolean;
}

export const DEFAULT_PROMETHEUS_PORT = 9464;

/** The values NodeSDK understands for each variable (anything else it drops without a word). */
const EXPORTER_VALUES = {
  OTEL_METRICS_EXPORTER: ['otlp', 'prometheus', 'console', 'none'],
  OTEL_TRACES_EXPORTER: ['otlp', 'zipkin', 'console', 'none'],
  OTEL_LOGS_EXPORTER: ['otlp', 'console', 'none'],
} as const;

/**
 * Zero-code defaults differ from NodeSDK's in one way: with no OTEL_*_EXPORTER set, metrics go to
 * a Prometheus endpoint on :9464/metrics (something a newcomer can curl) and traces and logs are
 * not exported (instead of OTLP to a collector that may not exist). Any OTEL_*_EXPORTER that is set
 * is honoured by NodeSDK exactly as documented by OpenTelemetry; a value it does not know is warned
 * about once, and a variable with no known value left means the zero-code default.
 */
export function chooseExporters(env: Env, warn: Warn, PrometheusExporter: PrometheusExporterClass | undefined): ExporterChoice {
  let metricReaders: IMetricReader[] | undefined;
  if (!exportersSet(env, 'OTEL_METRICS_EXPORTER', warn, 'Prometheus on :9464/metrics')) {
    const host = (env.OTEL_EXPORTER_PROMETHEUS_HOST ?? '').trim() || undefined;
    const port = prometheusPort(env, warn);
    metricReaders = PrometheusExporter === undefined ? [] : [servePrometheus(PrometheusExporter, host, port, warn)];
  }
  return {
    metricReaders,
    tracesOff: !exportersSet(env, 'OTEL_TRACES_EXPORTER', warn, 'traces are not exported'),
    logsOff: !exportersSet(env, 'OTEL_LOGS_EXPORTER', warn, 'logs are not exported'),
  };
}

/** True when the variable names at least one exporter NodeSDK knows; unknown names are warned about. */
function exportersSet(env: Env, name: keyof typeof EXPORTER_VALUES, warn: Warn, fallback: string): boolean {
  const raw = (env[name] ?? '').trim();
  if (raw === '') return false;
  const known: readonly string[] = EXPORTER_VALUES[name];
  const values = list(raw);
  const usable = values.filter((v) => known.includes(v));
  if (usable.length < values.length) {
    warn(`breakwater: ignoring ${name}=${describe(raw)}: expected a list of ${known.join(', ')}; ${usable.length > 0 ? `using ${usable.join(',')}` : `using the default (${fallback})`}`);
  }
  return usable.length > 0;
}

function prometheusPort(env: Env, warn: Warn): number {
  const raw = (env.OTEL_EXPORTER_PROMETHEUS_PORT ?? '').trim();
  if (raw === '') return DEFAULT_PROMETHEUS_PORT;
  const port = Number(raw);
  // 0 would make PrometheusExporter fall back to 9464 silently; say so instead.
  if (!/^\d+$/.test(raw) || port < 1 || port > 65535) {
    warn(`breakwater: ignoring OTEL_EXPORTER_PROMETHEUS_PORT=${describe(raw)}: expected a port number 1-65535; using the default ${DEFAULT_PROMETHEUS_PORT}`);
    return DEFAULT_PROMETHEUS_PORT;
  }
  return port;
}
