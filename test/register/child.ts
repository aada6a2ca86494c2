import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

export const repo = fileURLToPath(new URL('../../', import.meta.url));
export const fixture = (name: string): string => fileURLToPath(new URL(`fixtures/${name}`, import.meta.url));

/** `npm test` builds first; a lone `vitest run test/register` builds here if dist/ is missing. */
export function ensureBuilt(): void {
  if (existsSync(`${repo}dist/esm/register.js`) && existsSync(`${repo}dist/cjs/register.js`)) return;
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: repo, stdio: 'inherit' });
}

export async function freePort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

export interface Child {
  process: ChildProcess;
  stdout: string;
  stderr: string;
  /** Resolves with the first stdout line that parses as JSON. */
  ready: Promise<Record<string, unknown>>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs `node <preload> <app>` from the repo root with only the given environment (plus PATH/HOME). */
export function runApp(preload: readonly string[], app: string, env: Record<string, string>): Child {
  const child = spawn(process.execPath, [...preload, app], {
    cwd: repo,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const result = { process: child, stdout: '', stderr: '' } as Child;
  let onReady: (v: Record<string, unknown>) => void;
  result.ready = new Promise((resolve) => (onReady = resolve));
  child.stdout!.on('data', (d: Buffer) => {
    result.stdout += d;
    for (const line of result.stdout.split('\n')) {
      if (line.startsWith('{')) onReady(JSON.parse(line));
    }
  });
  child.stderr!.on('data', (d: Buffer) => (result.stderr += d));
  result.exit = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return result;
}

export async function scrape(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  return res.text();
}

/** Lines of the Prometheus text for `family` whose labels include every `labels` pair. */
export function series(text: string, family: string, labels: Record<string, string | number>): string[] {
  return text.split('\n').filter((l) => l.startsWith(`${family}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
}

export function valueOfLine(line: string | undefined): number {
  return Number(line?.slice(line.lastIndexOf(' ') + 1));
}
