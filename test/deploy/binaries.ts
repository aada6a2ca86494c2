import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Absolute path of an executable on PATH, or undefined. */
export function findBinary(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/**
 * Why a test that needs these binaries must be skipped here, or undefined when they are all present.
 * In CI (`CI` set) a missing binary is never a reason to skip: `.ci/run` installs them, so the test
 * runs and fails loudly instead.
 */
export function skipReason(...names: string[]): string | undefined {
  const missing = names.filter((n) => findBinary(n) === undefined);
  if (missing.length === 0 || process.env.CI) return undefined;
  return `${missing.join(', ')} not on PATH (Debian: apt-get install prometheus docker-compose); skipped outside CI`;
}
