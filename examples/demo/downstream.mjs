// The demo's flaky downstream: a small HTTP service that alternates a healthy and a failing phase
// on a fixed schedule, so the breakers of the services calling it open and close on their own.
// A second, steady server (always healthy) gives the callers a destination whose breaker stays closed.
//
//   HOST               listen address (default 127.0.0.1; 0.0.0.0 in docker-compose.yml)
//   PORT               the flaky server's port (default 8090; 0 = any free port)
//   STEADY_PORT        the steady server's port (default 8092; 0 = any free port; "off" = none)
//   FLAKY_HEALTHY_MS   length of a healthy phase (default 20000)
//   FLAKY_FAILING_MS   length of a failing phase: every request gets HTTP 503 (default 10000)
//
// Routes on both servers: GET /quote (a JSON quote), GET /health (200 or 503 with the phase).
// Ends on SIGTERM or SIGINT. Plain Node: breakwater is not needed here (docker-compose.yml starts it
// with `--import breakwater/register` only to export its own health and HTTP metrics).
import { createServer } from 'node:http';

const host = process.env.HOST ?? '127.0.0.1';
const healthyMs = positive('FLAKY_HEALTHY_MS', 20_000);
const failingMs = positive('FLAKY_FAILING_MS', 10_000);
const startedAt = Date.now();

function positive(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a positive number of milliseconds, got ${JSON.stringify(raw)}`);
  return value;
}

function port(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 65_535) throw new RangeError(`${name} must be a port number, got ${JSON.stringify(raw)}`);
  return value;
}

/** The phase at `now`: the schedule starts healthy and repeats healthy, failing, healthy, … */
function phaseAt(now) {
  const t = (now - startedAt) % (healthyMs + failingMs);
  return t < healthyMs ? 'healthy' : 'failing';
}

const QUOTES = [
  'A ship in harbor is safe, but that is not what ships are built for.',
  'Smooth seas do not make skillful sailors.',
  'The pessimist complains about the wind; the optimist expects it to change.',
];
let served = 0;

function handler(flaky) {
  return (req, res) => {
    const phase = flaky ? phaseAt(Date.now()) : 'healthy';
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const send = (status, body) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'GET') return send(405, { error: 'method not allowed' });
    if (path === '/health') return send(phase === 'healthy' ? 200 : 503, { phase });
    if (path !== '/quote') return send(404, { error: 'not found' });
    if (phase === 'failing') return send(503, { error: 'downstream is in its failing phase', phase });
    served += 1;
    send(200, { quote: QUOTES[served % QUOTES.length], served, phase });
  };
}

function listen(server, portNumber) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(portNumber, host, () => resolve(server.address().port));
  });
}

const servers = [];
const flaky = createServer(handler(true));
servers.push(flaky);
const flakyPort = await listen(flaky, port('PORT', 8090));
console.log(`flaky downstream listening on http://${host}:${flakyPort} (healthy ${healthyMs} ms, failing ${failingMs} ms)`);
if (process.env.STEADY_PORT !== 'off') {
  const steady = createServer(handler(false));
  servers.push(steady);
  const steadyPort = await listen(steady, port('STEADY_PORT', 8092));
  console.log(`steady downstream listening on http://${host}:${steadyPort}`);
}

// Say when the phase changes, so a person watching the demo can line it up with the dashboard.
let lastPhase = phaseAt(Date.now());
const ticker = setInterval(() => {
  const phase = phaseAt(Date.now());
  if (phase !== lastPhase) console.log(`downstream phase: ${phase}`);
  lastPhase = phase;
}, 250);
ticker.unref();

let closing = false;
function shutdown(signal) {
  if (closing) return; // Ctrl-C in `npm run demo` reaches us twice: from the terminal and from run.mjs
  closing = true;
  console.log(`downstream: ${signal}, closing`);
  clearInterval(ticker);
  for (const s of servers) {
    s.close();
    s.closeAllConnections();
  }
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
