import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, root, runNode } from '../examples/child.js';

// Plain scripts on the BUILT package (npm test builds first). Node exits as soon as nothing ref'd is
// left: an awaited runAll() must hold it until the round settles; background rounds must not.
const dist = pathToFileURL(join(root, 'dist/esm/index.js')).href;
let dir: string;

beforeAll(() => {
  assertBuilt();
  dir = mkdtempSync(join(tmpdir(), 'breakwater-health-keep-alive-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function script(name: string, body: string): string {
  const file = join(dir, name);
  writeFileSync(file, `import { HealthCheckManager, grpcHealthCheck, httpCheck, tcpCheck } from ${JSON.stringify(dist)};\n${body}`);
  return file;
}

/** A loopback server that accepts connections and never answers; it holds no process alive itself. */
const HANGING_SERVER = `
import net from 'node:net';
const server = net.createServer((socket) => socket.unref());
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
server.unref();
const { port } = server.address();
`;

describe('HealthCheckManager in a plain script', () => {
  it('an awaited runAll() with a hanging check finishes its round and prints the report', async () => {
    const file = script(
      'run-all.mjs',
      `
const health = new HealthCheckManager();
health.register({ name: 'hangs', check: () => new Promise(() => {}), timeoutMs: 100 });
health.register({ name: 'ok', check: () => true });
const report = await health.runAll();
console.log(JSON.stringify(report.components));
`,
    );
    const { code, stdout, stderr } = await runNode([file]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const components = JSON.parse(stdout) as Record<string, { status: string; message: string }>;
    expect(components.hangs).toMatchObject({ status: 'unhealthy', message: 'timed out after 100 ms' });
    expect(components.ok).toMatchObject({ status: 'healthy', message: 'ok' });
  });

  it('background rounds from start() do not keep the process alive', async () => {
    const file = script(
      'start.mjs',
      `
const health = new HealthCheckManager({ checkIntervalMs: 600_000, timeoutMs: 600_000 });
health.register({ name: 'hangs', check: () => new Promise(() => {}) });
health.register({ name: 'ok', check: () => true });
void health.start();
process.on('exit', () => console.log('exited with ' + health.check('hangs').status + ' still running'));
`,
    );
    // runNode rejects if the script is still running after its own limit (15 s), far below 600 s.
    const { code, stdout, stderr } = await runNode([file]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toBe('exited with unknown still running\n');
  });

  it('the dependency checks follow the same rule: their sockets hold an awaited runAll(), never the background', async () => {
    const checks = `
health.register(httpCheck({ name: 'http', url: \`http://127.0.0.1:\${port}/\` }));
health.register(grpcHealthCheck({ name: 'grpc', target: \`127.0.0.1:\${port}\` }));
`;
    const awaited = script('dependencies-run-all.mjs', `${HANGING_SERVER}
const health = new HealthCheckManager({ timeoutMs: 100 });
${checks}
const report = await health.runAll();
console.log(report.components.http.message, '/', report.components.grpc.message);
`);
    const first = await runNode([awaited]);
    expect(first.stderr).toBe('');
    expect(first.stdout).toBe('timed out after 100 ms / timed out after 100 ms\n');
    const background = script('dependencies-start.mjs', `${HANGING_SERVER}
const health = new HealthCheckManager({ timeoutMs: 600_000 });
${checks}
health.register(tcpCheck({ name: 'tcp', host: '127.0.0.1', port }));
void health.start();
process.on('exit', () => console.log('exited with ' + health.check('http').status + ' still running'));
`);
    const second = await runNode([background]);
    expect(second.stderr).toBe('');
    expect(second.code).toBe(0);
    expect(second.stdout).toBe('exited with unknown still running\n');
  });
});
