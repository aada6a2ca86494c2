// The application: plain `fetch` to a server that fails. Its breaker, created by the
// BreakwaterInstrumentation of instrumentation.mjs, opens after three failures; the following
// calls fail fast (the TypeError's cause is the CircuitOpenError). Then the metrics are printed
// as Prometheus scrapes them.
import { createServer } from 'node:http';

let requests = 0;
const server = createServer((req, res) => {
  requests += 1;
  res.writeHead(500).end();
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const destination = `127.0.0.1:${server.address().port}`;

for (let i = 1; i <= 5; i++) {
  try {
    const res = await fetch(`http://${destination}/inventory`);
    await res.body?.cancel();
    console.log(`fetch ${i}: HTTP ${res.status}`);
  } catch (err) {
    const open = err.cause?.code === 'ECIRCUITOPEN' ? err.cause : err.code === 'ECIRCUITOPEN' ? err : undefined;
    console.log(open ? `fetch ${i}: failed fast (${open.code}, breaker ${open.breakerName})` : `fetch ${i}: ${err.message}`);
  }
}
console.log(`the server got ${requests} requests for 5 fetches`);

const port = process.env.OTEL_EXPORTER_PROMETHEUS_PORT ?? 9464;
const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
for (const line of text.split('\n')) {
  if (line.startsWith('circuit_breaker_') && line.includes(`circuit_breaker_name="${destination}"`)) console.log(line);
}
server.close();
process.kill(process.pid, 'SIGTERM'); // done: shut the SDK down (the metrics server would keep us alive)
