// A NodeSDK setup with breakwater and the Prometheus exporter: the file an application preloads
// so that the SDK starts before the application's own modules load.
//
//   node --import ./examples/node-sdk/instrumentation.mjs examples/node-sdk/app.mjs
//
// Metrics on http://127.0.0.1:9464/metrics (OTEL_EXPORTER_PROMETHEUS_PORT to change it). To send
// them to a collector instead, replace the PrometheusExporter with a PeriodicExportingMetricReader
// around an OTLP exporter.
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BreakwaterInstrumentation } from 'breakwater/instrumentation';

export const breakwater = new BreakwaterInstrumentation({
  // Shared by every destination's breaker...
  breaker: { failureThreshold: 3, openTimeoutMs: 5_000, maxOpenTimeoutMs: 60_000 },
  // ...except those overridden here (host:port, host, or *.domain).
  destinations: { 'payments.internal': { failureThreshold: 1 } },
  // Never wrapped (calls made by OTel exporters never are, anyway).
  excludeHosts: ['169.254.169.254'],
});

const sdk = new NodeSDK({
  serviceName: process.env.OTEL_SERVICE_NAME ?? 'node-sdk-example',
  metricReaders: [
    new PrometheusExporter({ host: '127.0.0.1', port: Number(process.env.OTEL_EXPORTER_PROMETHEUS_PORT ?? 9464) }),
  ],
  // No traces in this example (NodeSDK's default would be OTLP to localhost:4318).
  spanProcessors: [],
  instrumentations: [breakwater],
});
sdk.start();

// Flush and stop on the way out; SIGTERM is how orchestrators ask.
process.once('SIGTERM', () => void sdk.shutdown().finally(() => process.exit(0)));
