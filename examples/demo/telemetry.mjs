// The demo service's OpenTelemetry setup: a NodeSDK with BreakwaterInstrumentation (a breaker per
// destination for every outgoing HTTP/fetch/gRPC call) and the Prometheus exporter, plus a
// HealthCheckManager whose metrics follow the same MeterProvider.
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { HealthCheckManager } from 'breakwater';
import { BreakwaterInstrumentation } from 'breakwater/instrumentation';

export function setUpTelemetry() {
  process.env.OTEL_SERVICE_NAME ??= 'breakwater-demo';
  // Traces only when asked for (docker-compose.yml sends them to the collector over OTLP).
  process.env.OTEL_TRACES_EXPORTER ??= 'none';
  process.env.OTEL_LOGS_EXPORTER ??= 'none';

  // The demo registers its own checks (app.mjs); the instrumentation exports their metrics.
  const health = new HealthCheckManager({ checkIntervalMs: 5_000 });
  const instrumentation = new BreakwaterInstrumentation({
    // Small numbers so the demo's breakers move within seconds of the downstream's phases.
    breaker: { failureThreshold: 3, successThreshold: 2, openTimeoutMs: 2_000, maxOpenTimeoutMs: 8_000, backoffMultiplier: 2 },
    health: { manager: health, system: false, breakers: false },
  });

  const host = process.env.OTEL_EXPORTER_PROMETHEUS_HOST ?? '127.0.0.1';
  const port = Number(process.env.OTEL_EXPORTER_PROMETHEUS_PORT ?? 9464);
  const exporter = new PrometheusExporter({ host, port }, (err) => {
    if (err) console.error(`metrics exporter could not listen on ${host}:${port}: ${err.message}`);
    else console.log(`metrics on http://${host}:${port}/metrics`);
  });
  const sdk = new NodeSDK({ metricReaders: [exporter], instrumentations: [instrumentation] });
  sdk.start();

  return { instrumentation, health, shutdown: () => sdk.shutdown() };
}
