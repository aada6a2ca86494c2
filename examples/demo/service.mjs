// The demo service: an HTTP service whose calls to a flaky downstream are protected by breakwater.
// Run it with `npm run demo` (which also starts the downstream), or on its own:
//
//   node examples/demo/service.mjs
//
//   HOST, PORT                      where the service listens (default 127.0.0.1:8080; PORT=0 = any)
//   DOWNSTREAM_URL                  the flaky downstream (default http://127.0.0.1:8090)
//   STEADY_URL                      a steady downstream (default http://127.0.0.1:8092; "off" = none)
//   OTEL_SERVICE_NAME               default breakwater-demo
//   OTEL_EXPORTER_PROMETHEUS_HOST   where /metrics listens (default 127.0.0.1)
//   OTEL_EXPORTER_PROMETHEUS_PORT   default 9464
//   DEMO_TRAFFIC_INTERVAL_MS        the service calls its downstreams on its own this often (default 250)
//   DEMO_CHECK_INTERVAL_MS          health check interval (default 5000)
//   DEMO_DB_OUTAGE_EVERY_MS         the simulated database connection drops this often (default 45000)
//
// Routes: GET /          a quote from the downstream, or the last good one when its breaker is open
//         GET /breakers  every breaker's state and counts
//         GET /health, /livez, /readyz   breakwater's health endpoint
// Ends cleanly on SIGTERM or SIGINT.
import { setUpTelemetry } from './telemetry.mjs';

const telemetry = setUpTelemetry();
// Imported after the SDK started, as an application's own modules would be.
const { startService } = await import('./app.mjs');
const service = await startService({ instrumentation: telemetry.instrumentation, health: telemetry.health });

let stopping = false;
async function stop(signal) {
  if (stopping) return;
  stopping = true;
  console.log(`demo service: ${signal}, shutting down`);
  await service.close();
  await telemetry.shutdown();
}
process.once('SIGTERM', () => void stop('SIGTERM'));
process.once('SIGINT', () => void stop('SIGINT'));
