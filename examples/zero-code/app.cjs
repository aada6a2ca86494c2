// The CommonJS twin of app.mjs:
//   BREAKWATER_FAILURE_THRESHOLD=2 node --require breakwater/register examples/zero-code/app.cjs
const http = require('node:http');

async function main() {
  const server = http.createServer((req, res) => res.writeHead(503).end('unavailable'));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}/orders`;
  let connections = 0;
  server.on('connection', () => (connections += 1));

  for (let i = 1; i <= 4; i++) {
    await new Promise((resolve) => {
      http
        .get(url, { agent: false }, (res) => {
          console.log(`request ${i}: HTTP ${res.statusCode}`);
          res.resume().on('end', resolve);
        })
        .on('error', (err) => {
          console.log(`request ${i}: ${err.code} (${err.message})`);
          resolve();
        });
    });
  }
  console.log(`the server saw ${connections} connections for 4 requests`);

  const metricsUrl = `http://${process.env.OTEL_EXPORTER_PROMETHEUS_HOST ?? 'localhost'}:${process.env.OTEL_EXPORTER_PROMETHEUS_PORT ?? 9464}/metrics`;
  const metrics = await (await fetch(metricsUrl)).text();
  // This app's own breaker (the /metrics fetch above has one too).
  for (const line of metrics.split('\n')) if (line.startsWith('circuit_breaker_') && line.includes(`circuit_breaker_name="127.0.0.1:${server.address().port}"`)) console.log(line);
  server.close();
}

main();
