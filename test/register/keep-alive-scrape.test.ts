import { spawn } from 'node:child_process';
import http from 'node:http';
import { beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../examples/child.js';
import { ensureBuilt, freePort, repo } from './child.js';

beforeAll(() => ensureBuilt());

// A script that has nothing left to do once a line arrives on stdin; it prints when that was.
const SCRIPT = `
  process.stdin.once('data', () => {
    process.stdin.destroy();
    console.log(JSON.stringify({ done: Date.now() }));
  });
  console.log(JSON.stringify({ ready: true }));
`;

/** Runs the script under breakwater/register; `scrape` runs once it is ready. Resolves with ms from its last work to its exit. */
async function exitDelay(metricsPort: number, scrape: () => Promise<void>): Promise<number> {
  const child = spawn(process.execPath, ['--import', 'breakwater/register', '-e', SCRIPT], {
    cwd: repo,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', OTEL_EXPORTER_PROMETHEUS_PORT: String(metricsPort), OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const lines = (): Record<string, number | boolean>[] => stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
  const ready = new Promise<void>((resolve) => child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
    if (lines().length > 0) resolve();
  }));
  const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  const exited = new Promise<number>((resolve) => child.once('exit', () => resolve(Date.now())));
  try {
    await ready;
    await scrape();
    child.stdin.end('go\n');
    const exitAt = await exited;
    expect(stderr).toBe('');
    const done = lines().find((l) => 'done' in l)?.done;
    expect(typeof done).toBe('number');
    return exitAt - (done as number);
  } finally {
    clearTimeout(killer);
    child.kill('SIGKILL');
  }
}

describe('breakwater/register never keeps a process alive', () => {
  it('a script exits promptly after its last work even when a keep-alive client has scraped /metrics', async () => {
    const port = await freePort();
    const unscraped = await exitDelay(port, async () => {});
    const agent = new http.Agent({ keepAlive: true, keepAliveMsecs: 60_000 });
    try {
      const scraped = await exitDelay(port, async () => {
        const get = (): Promise<string> => new Promise<string>((resolve, reject) => {
          http.get({ host: '127.0.0.1', port, path: '/metrics', agent }, (res) => {
            let text = '';
            res.setEncoding('utf8').on('data', (d: string) => (text += d)).on('end', () => resolve(text));
          }).on('error', reject);
        });
        // The endpoint listens a moment after the script's first line: retry a refused connection, bounded.
        const body = await eventually('/metrics listening', () => get(), 10_000, 50);
        expect(body).toContain('target_info');
        expect(agent.freeSockets[`127.0.0.1:${port}:`]).toHaveLength(1); // the connection stays open, idle
      });
      expect(scraped, `${scraped} ms with a scrape, ${unscraped} ms without`).toBeLessThan(500);
      expect(scraped).toBeLessThan(unscraped + 300);
    } finally {
      agent.destroy();
    }
  }, 40_000);
});
