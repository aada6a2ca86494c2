import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { HealthCheckManagerOptions } from '../../src/health/check-types.js';
import { HealthCheckManager } from '../../src/health/manager.js';
import { MAX_MESSAGE_LENGTH } from '../../src/health/run-check.js';
import { baseOf, call } from './http-call.js';

// What the issue found exposed: error texts with addresses and users, details with paths, and a
// thrown non-Error object serialized whole (a token in it).
const SECRET_ERROR = 'connect ECONNREFUSED 10.20.30.40:5432 (db-primary.prod.internal, user=svc_orders)';
const TOKEN = 'tok_4f9a8c1e';

let managers: HealthCheckManager[] = [];
afterEach(async () => {
  await Promise.all(managers.map((m) => m.stop()));
  managers = [];
});

async function serving(options: HealthCheckManagerOptions = {}): Promise<{ health: HealthCheckManager; base: string }> {
  const health = new HealthCheckManager({ checkIntervalMs: 60_000, ...options });
  managers.push(health);
  health.register({ name: 'database', componentType: 'database', critical: true, check: () => Promise.reject(new Error(SECRET_ERROR)) });
  health.register({ name: 'disk', componentType: 'system', check: () => ({ status: 'degraded', message: 'disk 91% used', details: { disk_path: '/srv/app' } }) });
  health.register({ name: 'vault', check: () => { throw { token: TOKEN, status: 401 }; } });
  health.register({ name: 'cache', check: () => true });
  await health.runAll();
  return { health, base: baseOf(await health.serve({ port: 0 })) };
}

describe('health endpoint: safe by default', () => {
  it('serve() listens on loopback unless a host is given', async () => {
    const health = new HealthCheckManager();
    managers.push(health);
    const server = await health.serve({ port: 0 });
    expect((server.address() as AddressInfo).address).toBe('127.0.0.1');
  });

  it('withholds messages and details by default, keeping the report shape, statuses, score and names', async () => {
    const { base } = await serving();
    const reply = await call(base, '/health');
    expect(reply.status).toBe(503);
    for (const secret of ['ECONNREFUSED', '10.20.30.40', 'svc_orders', '/srv/app', TOKEN, '91%']) expect(reply.body).not.toContain(secret);
    const body = JSON.parse(reply.body);
    expect(Object.keys(body)).toEqual([
      'overall_status', 'health_score', 'uptime_seconds', 'timestamp', 'components', 'degraded_components', 'unhealthy_components',
    ]);
    expect(body).toMatchObject({
      overall_status: 'unhealthy',
      health_score: 40,
      degraded_components: ['disk'],
      unhealthy_components: ['database', 'vault'],
    });
    expect(body.components.database).toEqual({ status: 'unhealthy', message: 'reason withheld', duration_ms: expect.any(Number) });
    expect(body.components.disk).toEqual({ status: 'degraded', message: 'reason withheld', duration_ms: expect.any(Number) });
    expect(body.components.cache).toEqual({ status: 'healthy', message: 'ok', duration_ms: expect.any(Number) });

    const json = await call(base, '/health', { headers: { accept: 'application/health+json' } });
    for (const secret of ['ECONNREFUSED', 'svc_orders', TOKEN, '91%']) expect(json.body).not.toContain(secret);
    expect(JSON.parse(json.body).status).toBe('fail');
  });

  it("showDetails: 'always' shows them, but a thrown non-Error object is never serialized", async () => {
    const { base } = await serving({ showDetails: 'always' });
    const body = JSON.parse((await call(base, '/health')).body);
    expect(body.components.database.message).toBe(SECRET_ERROR);
    expect(body.components.disk).toMatchObject({ message: 'disk 91% used', details: { disk_path: '/srv/app' } });
    expect(body.components.vault.message).toBe('a non-Error value (object)');
    expect(JSON.stringify(body)).not.toContain(TOKEN);
  });

  it('showDetails as a function of the request: a token check; a throwing one withholds', async () => {
    const { base } = await serving({ showDetails: (req) => req.headers.authorization === 'Bearer ops-token' });
    const allowed = JSON.parse((await call(base, '/health', { headers: { authorization: 'Bearer ops-token' } })).body);
    expect(allowed.components.database.message).toBe(SECRET_ERROR);
    const denied = JSON.parse((await call(base, '/health', { headers: { authorization: 'Bearer guess' } })).body);
    expect(denied.components.database.message).toBe('reason withheld');

    const { base: other } = await serving({ showDetails: () => { throw new Error('auth backend down'); } });
    const reply = await call(other, '/health');
    expect(reply.status).toBe(503);
    expect(JSON.parse(reply.body).components.database.message).toBe('reason withheld');
  });

  it('caps messages, even shown ones', async () => {
    const health = new HealthCheckManager({ showDetails: 'always' });
    managers.push(health);
    health.register({ name: 'chatty', check: () => Promise.reject(new Error(`upstream said: ${'x'.repeat(10_000)}`)) });
    health.register({ name: 'verbose', check: () => ({ status: 'degraded', message: 'y'.repeat(5_000) }) });
    await health.runAll();
    const { components } = JSON.parse((await call(baseOf(await health.serve({ port: 0 })), '/health')).body);
    expect(components.chatty.message).toHaveLength(MAX_MESSAGE_LENGTH);
    expect(components.chatty.message.endsWith('…')).toBe(true);
    expect(components.verbose.message).toHaveLength(MAX_MESSAGE_LENGTH);
    expect(MAX_MESSAGE_LENGTH).toBe(256);
  });

  it('rejects a bad showDetails naming it', () => {
    expect(() => new HealthCheckManager({ showDetails: 'sometimes' as never })).toThrow(
      `new HealthCheckManager(): option "showDetails" must be 'always', 'never' or a function of the request returning a boolean, got "sometimes"`,
    );
  });
});
