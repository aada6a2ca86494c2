// The demo service's application code. Nothing here knows about breakers except the fallback:
// the calls are plain `fetch`, protected by BreakwaterInstrumentation (see telemetry.mjs).
import { createServer } from 'node:http';
import { breakerRegistryCheck, systemCheck } from 'breakwater';

function env(name, fallback) {
  const raw = process.env[name];
  return raw === undefined || raw === '' ? fallback : raw;
}
function envMs(name, fallback) {
  const value = Number(env(name, fallback));
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a positive number of milliseconds, got ${JSON.stringify(process.env[name])}`);
  return value;
}

/** True when a fetch failed because a breaker refused it (no request was sent). */
function isCircuitOpen(err) {
  return err?.code === 'ECIRCUITOPEN' || err?.cause?.code === 'ECIRCUITOPEN';
}

/**
 * A pretend database connection: it drops on a schedule, and the first reconnect after a drop
 * fails, so the dashboard shows an unhealthy check, a failed heal and a successful one.
 */
class SimulatedDatabase {
  connected = true;
  #failNextReconnect = false;
  #timer;

  constructor(outageEveryMs) {
    this.#timer = setInterval(() => {
      this.connected = false;
      this.#failNextReconnect = true;
    }, outageEveryMs);
    this.#timer.unref();
  }

  async reconnect() {
    if (this.#failNextReconnect) {
      this.#failNextReconnect = false;
      throw new Error('connection refused (simulated)');
    }
    this.connected = true;
  }

  close() {
    clearInterval(this.#timer);
  }
}

export async function startService({ instrumentation, health }) {
  const host = env('HOST', '127.0.0.1');
  const port = Number(env('PORT', '8080'));
  const downstream = new URL(env('DOWNSTREAM_URL', 'http://127.0.0.1:8090'));
  const steadyUrl = env('STEADY_URL', 'http://127.0.0.1:8092');
  const steady = steadyUrl === 'off' ? undefined : new URL(steadyUrl);
  const trafficEveryMs = envMs('DEMO_TRAFFIC_INTERVAL_MS', 250);
  const checkEveryMs = envMs('DEMO_CHECK_INTERVAL_MS', 5_000);
  const database = new SimulatedDatabase(envMs('DEMO_DB_OUTAGE_EVERY_MS', 45_000));

  let lastQuote = { quote: 'Breakwaters keep the harbour calm.', served: 0 };
  const counts = { ok: 0, failed: 0, rejected: 0 };

  /** One call to a downstream: its JSON, or undefined when it failed or its breaker is open. */
  async function call(base, path) {
    try {
      const res = await fetch(new URL(path, base), { signal: AbortSignal.timeout(2_000) });
      if (!res.ok) {
        await res.body?.cancel();
        counts.failed += 1;
        return undefined;
      }
      counts.ok += 1;
      return await res.json();
    } catch (err) {
      if (isCircuitOpen(err)) counts.rejected += 1;
      else counts.failed += 1;
      return undefined;
    }
  }

  // Health: the built-in system and breaker checks, the downstream, and the (critical) database.
  health.register(systemCheck({ intervalMs: checkEveryMs }));
  health.register(breakerRegistryCheck(instrumentation.registry, { intervalMs: checkEveryMs }));
  health.register({
    name: 'downstream',
    componentType: 'custom',
    intervalMs: checkEveryMs,
    timeoutMs: 2_000,
    async check(signal) {
      try {
        const res = await fetch(new URL('/health', downstream), { signal });
        await res.body?.cancel();
        // An outage elsewhere is not this replica's fault: degraded, not unhealthy.
        return res.ok ? true : { status: 'degraded', message: `downstream answered ${res.status}` };
      } catch (err) {
        return { status: 'degraded', message: isCircuitOpen(err) ? 'breaker open: not probing' : String(err?.message ?? err) };
      }
    },
  });
  health.register({
    name: 'database',
    componentType: 'database',
    critical: true,
    intervalMs: checkEveryMs,
    timeoutMs: 1_000,
    check: () => (database.connected ? true : { status: 'unhealthy', message: 'connection lost' }),
    autoHeal: true,
    heal: () => database.reconnect(),
    healCooldownMs: Math.min(checkEveryMs, 1_000),
    close: () => database.close(),
  });
  await health.start();

  // Traffic of its own, so the breakers open and close with the downstream's phases even when
  // nobody calls the service.
  const traffic = setInterval(() => {
    void call(downstream, '/quote').then((q) => {
      if (q) lastQuote = q;
    });
    if (steady) void call(steady, '/quote');
  }, trafficEveryMs);
  traffic.unref();

  const server = createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/health' || path === '/livez' || path === '/readyz') return health.requestHandler(req, res);
    const json = (status, body) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body, null, 2) + '\n');
    };
    if (req.method !== 'GET') return json(405, { error: 'method not allowed' });
    if (path === '/breakers') {
      return json(200, [...instrumentation.registry].map((b) => ({ name: b.name, state: b.state, metrics: b.metrics })));
    }
    if (path !== '/') return json(404, { error: 'not found' });
    const quote = await call(downstream, '/quote');
    if (quote) {
      lastQuote = quote;
      return json(200, { ...quote, from: 'downstream' });
    }
    const breaker = [...instrumentation.registry].find((b) => b.name === downstream.host);
    // The fallback: the last good answer, marked as such.
    json(200, { ...lastQuote, from: 'cache', breaker: breaker?.state ?? 'unknown' });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const { port: boundPort } = server.address();
  console.log(`demo service listening on http://${host}:${boundPort} (downstream ${downstream.origin}${steady ? `, steady ${steady.origin}` : ''})`);

  // Say when a breaker changes state, so the console tells the same story as the dashboard.
  const watch = (breaker) => {
    console.log(`breaker ${breaker.name}: ${breaker.state}`);
    breaker.on('stateChange', (e) => console.log(`breaker ${e.name}: ${e.to}`));
  };
  for (const breaker of instrumentation.registry) watch(breaker);
  const stopWatching = instrumentation.registry.on('create', watch);

  return {
    port: boundPort,
    async close() {
      clearInterval(traffic);
      stopWatching();
      await health.stop();
      await new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
