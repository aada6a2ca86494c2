import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import type { IMetricReader } from '@opentelemetry/sdk-metrics';
import { describe } from '../config/errors.js';

type Env = Readonly<Record<string, string | undefined>>;

/** What breakwater/register passes to NodeSDK; `undefined` leaves that signal to NodeSDK's own env handling. */
export interface ExporterChoice {
  metricReaders: IMetricReader[] | undefined;
  /** No tracer provider (NodeSDK's own default would export OTLP to localhost:4318). */
  tracesOff: boolean;
  /** No log record processors (same reason). */
  logsOff: boolean;
}

export const DEFAULT_PROMETHEUS_PORT = 9464;

/**
 * Zero-code defaults differ from NodeSDK's in one way: with no OTEL_*_EXPORTER set, metrics go to
 * a Prometheus endpoint on :9464/metrics (something a newcomer can curl) and traces and logs are
 * not exported (instead of OTLP to a collector that may not exist). Any OTEL_*_EXPORTER that is set
 * is honoured by NodeSDK exactly as documented by OpenTelemetry.
 */
export function chooseExporters(env: Env, warn: (message: string) => void): ExporterChoice {
  const unset = (name: string) => (env[name] ?? '').trim() === '';
  let metricReaders: IMetricReader[] | undefined;
  if (unset('OTEL_METRICS_EXPORTER')) {
    const host = (env.OTEL_EXPORTER_PROMETHEUS_HOST ?? '').trim() || undefined;
    const port = prometheusPort(env, warn);
    metricReaders = [
      new PrometheusExporter({ host, port }, (err) => {
        if (err) warn(`breakwater: the Prometheus exporter could not listen on ${host ?? 'localhost'}:${port}: ${(err as Error).message}; metrics are not served`);
      }),
    ];
  }
  return { metricReaders, tracesOff: unset('OTEL_TRACES_EXPORTER'), logsOff: unset('OTEL_LOGS_EXPORTER') };
}

function prometheusPort(env: Env, warn: (message: string) => void): number {
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
