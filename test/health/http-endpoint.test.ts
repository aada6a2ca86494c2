import { createServer } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HealthStatus } from '../../src/health/check-types.js';
import { HealthCheckManager } from '../../src/health/manager.js';
import { baseOf, call } from './http-call.js';

describe('health HTTP endpoint', () => {
  let health: HealthCheckManager;
  let base: string;
  let runs: number;
  const status: Record<string, HealthStatus> = {};

  beforeEach(async () => {
    runs = 0;
    Object.assign(status, { database: 'healthy', cache: 'healthy' });
    health = new HealthCheckManager({ checkIntervalMs: 60_000, showDetails: 'always' });
    health.register({
      name: 'database',
      componentType: 'database',
      critical: true,
      check: () => (runs++, { status: status.database!, message: status.database === 'healthy' ? 'ok' : 'connection refused', details: { pool: 5 } }),
    });
    health.register({ name: 'cache', componentType: 'custom', check: () => (runs++, { status: status.cache! }) });
    await health.runAll();
    base = baseOf(await health.serve({ port: 0, host: '127.0.0.1' }));
  });

  afterEach(async () => {
    await health.stop();
  });

  it('GET /health serves the DESIGN.md report with 200, and never runs checks', async () => {
    const before = runs;
    const reply = await call(base, '/health');
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe('application/json');
    expect(reply.headers['cache-control']).toBe('no-store');
    const body = JSON.parse(reply.body);
    expect(Object.keys(body)).toEqual([
      'overall_status', 'health_score', 'uptime_seconds', 'timestamp', 'components', 'degraded_components', 'unhealthy_components',
    ]);
    expect(body).toMatchObject({
      overall_status: 'healthy',
      health_score: 100,
      components: {
        database: { status: 'healthy', message: 'ok', details: { pool: 5 } },
        cache: { status: 'healthy', message: 'ok' },
      },
      degraded_components: [],
      unhealthy_components: [],
    });
    expect(typeof body.components.database.duration_ms).toBe('number');
    expect(body.uptime_seconds).toBeGreaterThanOrEqual(0);
    expect(Date.parse(body.timestamp)).not.toBeNaN();
    await call(base, '/health');
    expect(runs).toBe(before);
  });

  it('answers 200 while degraded and 503 once unhealthy', async () => {
    status.cache = 'degraded';
    await health.runAll();
    let reply = await call(base, '/health');
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toMatchObject({ overall_status: 'degraded', health_score: 80, degraded_components: ['cache'] });

    status.database = 'unhealthy';
    await health.runAll();
    reply = await call(base, '/health');
    expect(reply.status).toBe(503);
    expect(JSON.parse(reply.body)).toMatchObject({ overall_status: 'unhealthy', unhealthy_components: ['database'] });
  });

  it('serves application/health+json when Accept asks for it', async () => {
    status.cache = 'degraded';
    await health.runAll();
    const reply = await call(base, '/health', { headers: { accept: 'application/health+json, application/json;q=0.5' } });
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe('application/health+json');
    expect(reply.headers.vary).toBe('Accept');
    const body = JSON.parse(reply.body);
    expect(body.status).toBe('warn');
    expect(body.output).toBe('cache degraded');
    // The draft's keys ("componentName:measurementName") and component types (datastore, system, component).
    expect(Object.keys(body.checks)).toEqual(['database:responseTime', 'cache:responseTime']);
    const [db] = body.checks['database:responseTime'];
    expect(db).toMatchObject({ componentType: 'datastore', status: 'pass', output: 'ok', observedUnit: 'ms' });
    expect(typeof db.observedValue).toBe('number');
    expect(Date.parse(db.time)).not.toBeNaN();
    expect(body.checks['cache:responseTime'][0]).toMatchObject({ componentType: 'component', status: 'warn', output: 'degraded' });

    status.database = 'unhealthy';
    await health.runAll();
    const failing = await call(base, '/health', { headers: { accept: 'application/health+json' } });
    expect(failing.status).toBe(503);
    expect(JSON.parse(failing.body).status).toBe('fail');

    const refused = await call(base, '/health', { headers: { accept: 'application/health+json;q=0, application/json' } });
    expect(refused.headers['content-type']).toBe('application/json');
  });

  it('/livez and /readyz follow the Kubernetes conventions, with ?verbose', async () => {
    expect(await call(base, '/livez')).toMatchObject({ status: 200, body: 'ok' });
    expect(await call(base, '/readyz')).toMatchObject({ status: 200, body: 'ok' });
    const verbose = await call(base, '/readyz?verbose');
    expect(verbose.body).toBe('[+]database ok\n[+]cache ok\nreadyz check passed\n');
    expect(verbose.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect((await call(base, '/livez?verbose=1')).body).toBe('[+]ping ok\nlivez check passed\n');

    status.database = 'unhealthy';
    await health.runAll();
    const failed = await call(base, '/readyz');
    expect(failed.status).toBe(503);
    expect(failed.body).toBe('[-]database failed: reason withheld\n[+]cache ok\nreadyz check failed\n');
    expect(await call(base, '/readyz/cache')).toMatchObject({ status: 200, body: 'ok' });
    expect((await call(base, '/readyz/database')).status).toBe(503);
    expect((await call(base, '/readyz/nope')).status).toBe(404);
    expect((await call(base, '/readyz/%E0%A4%A')).status).toBe(404);
    expect(await call(base, '/livez')).toMatchObject({ status: 200, body: 'ok' }); // a dependency never fails liveness
  });

  it('is not ready before a critical check has run', async () => {
    const fresh = new HealthCheckManager();
    fresh.register({ name: 'db', critical: true, check: () => true });
    const server = await fresh.serve({ port: 0, host: '127.0.0.1' });
    try {
      const reply = await call(baseOf(server), '/readyz?verbose');
      expect(reply).toMatchObject({
        status: 503,
        body: '[-]startup failed: first round of checks not run yet\n[-]db failed: reason withheld\nreadyz check failed\n',
      });
    } finally {
      await fresh.stop();
    }
  });

  it('answers HEAD without a body, other methods with 405 and Allow, unknown paths with 404', async () => {
    const head = await call(base, '/health', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect(Number(head.headers['content-length'])).toBeGreaterThan(0);
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const reply = await call(base, '/health', { method });
      expect(reply.status).toBe(405);
      expect(reply.headers.allow).toBe('GET, HEAD');
    }
    expect((await call(base, '/readyz', { method: 'POST' })).status).toBe(405);
    expect((await call(base, '/nope')).status).toBe(404);
    expect((await call(base, '/healthz')).status).toBe(404);
  });

  it('names the option when the port is in use or invalid', async () => {
    const port = Number(new URL(base).port);
    await expect(health.serve({ port, host: '127.0.0.1' })).rejects.toThrow(
      `HealthCheckManager.serve(): cannot listen on option "port" ${port} (host 127.0.0.1): the port is already in use`,
    );
    await expect(health.serve({ port: 70_000 })).rejects.toThrow('option "port" must be an integer from 0 to 65535, got 70000');
    await expect(health.serve({ port: 0, host: '' })).rejects.toThrow('option "host" must be a non-empty string, got ""');
  });

  it('serve({ unref: true }) does not keep the process alive but still answers', async () => {
    const count = (): number => process.getActiveResourcesInfo().filter((t) => t === 'TCPServerWrap').length;
    const before = count();
    const server = await health.serve({ port: 0, host: '127.0.0.1', unref: true });
    expect(count()).toBe(before);
    expect((await call(baseOf(server), '/livez')).body).toBe('ok');
  });

  it('requestHandler mounts in an existing server, and hands unknown paths to next()', async () => {
    const app = createServer((req, res) =>
      health.requestHandler(req, res, () => {
        res.statusCode = 418;
        res.end('app route');
      }),
    );
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    try {
      const appBase = baseOf(app);
      expect(JSON.parse((await call(appBase, '/health')).body).overall_status).toBe('healthy');
      expect(await call(appBase, '/orders')).toMatchObject({ status: 418, body: 'app route' });
    } finally {
      await new Promise((resolve) => app.close(resolve));
    }
  });
});
