// HealthCheckManager: checks that return booleans or statuses, a hanging check cut off by its
// timeout, a critical check healed automatically, the score, and the HTTP endpoint.
//   node examples/health-checks.mjs
import { HealthCheckManager, systemCheck } from 'breakwater';

const health = new HealthCheckManager({ checkIntervalMs: 10_000, timeoutMs: 2_000 });

// A database connection that is down until the heal reconnects it.
let connected = false;
health.register({
  name: 'database',
  componentType: 'database',
  critical: true, // unhealthy database = unhealthy service (HTTP 503)
  check: () => connected,
  autoHeal: true,
  heal: async () => {
    connected = true; // e.g. pool.reconnect()
  },
});
// A check may say more than true/false.
health.register({
  name: 'search-index',
  check: () => ({ status: 'degraded', message: 'rebuilding the index', details: { progress: 0.4 } }),
});
// A check that never answers is reported unhealthy when its timeout passes; the round goes on.
health.register({ name: 'legacy-api', check: () => new Promise(() => {}), timeoutMs: 100, weight: 0.5 });
// Built-in: event-loop delay, heap, RSS, CPU load, disk.
health.register(systemCheck());

health.on('heal', (e) => console.log(`heal ${e.name}: ${e.outcome}`));
health.on('statusChange', (e) => console.log(`check ${e.name}: ${e.from} -> ${e.to}`));

// One round of every check; legacy-api is cut off after 100 ms and the round goes on.
const report = await health.runAll();
console.log(`overall: ${report.overall_status}, score ${report.health_score}`);
for (const [name, c] of Object.entries(report.components)) console.log(`  ${name}: ${c.status} (${c.message})`);

// Serve the last results over HTTP (GET /health, /livez, /readyz); checks are not run per request.
const server = await health.serve({ port: Number(process.env.HEALTH_PORT ?? 0), host: '127.0.0.1' });
const { port } = server.address();

for (const path of ['/health', '/livez', '/readyz']) {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  console.log(`GET ${path} -> ${res.status} ${res.headers.get('content-type')}`);
  await res.body?.cancel();
}
await health.stop(); // closes the server too
