import http from 'node:http';
import type { IMetricReader } from '@opentelemetry/sdk-metrics';

type Warn = (message: string) => void;

interface PrometheusExporterLike extends IMetricReader {
  getMetricsRequestHandler(request: http.IncomingMessage, response: http.ServerResponse): void;
}

export type PrometheusExporterClass = new (config: { preventServerStart: true }) => PrometheusExporterLike;

/**
 * A PrometheusExporter served on `/metrics` by a server of breakwater's own: the exporter's server
 * refs the connections it accepts, so a scraper's idle keep-alive connection held the process for
 * the server's keep-alive timeout after the app was done. Here no connection keeps it alive.
 */
export function servePrometheus(PrometheusExporter: PrometheusExporterClass, host: string | undefined, port: number, warn: Warn): IMetricReader {
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && (req.url ?? '').split('?')[0] === '/metrics') return exporter.getMetricsRequestHandler(req, res);
    res.statusCode = 404;
    res.end();
  });
  server.on('connection', (socket) => socket.unref());
  server.once('error', (err) => warn(`breakwater: the Prometheus exporter could not listen on ${host ?? 'localhost'}:${port}: ${err.message}; metrics are not served`));
  server.listen(port, host ?? 'localhost').unref();
  const shutdown = exporter.shutdown.bind(exporter);
  exporter.shutdown = async (options) => {
    server.close(); // closes idle connections; a scrape in progress may finish
    await shutdown(options);
  };
  return exporter;
}
