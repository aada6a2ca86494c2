import { createRequire } from 'node:module';

const load = createRequire(import.meta.url);

/**
 * What the zero-code install adds to the library install (the README's one copy-paste line lists
 * exactly these). They are optional peer dependencies: `npm install breakwater` alone never pulls
 * an SDK. `required`: without it breakwater/register exports no telemetry.
 */
export const ZERO_CODE_PACKAGES = [
  { name: '@opentelemetry/sdk-node', required: true },
  { name: '@opentelemetry/exporter-prometheus', required: true },
  { name: '@opentelemetry/instrumentation-http', required: false },
  { name: '@opentelemetry/instrumentation-undici', required: false },
] as const;

export type ZeroCodePackage = (typeof ZERO_CODE_PACKAGES)[number]['name'];

/**
 * Loads an optional part, resolved from where breakwater is installed. `undefined` when that
 * package is not installed; any other failure (a broken install) is thrown.
 */
export function loadPart<T>(name: ZeroCodePackage): T | undefined {
  try {
    return load(name) as T;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'MODULE_NOT_FOUND' && e.message.includes(`'${name}'`)) return undefined;
    throw err;
  }
}

/** The one line for the parts that are missing, naming what to install and what still works. */
export function missingPartsMessage(missing: readonly ZeroCodePackage[]): string | undefined {
  if (missing.length === 0) return undefined;
  const required = ZERO_CODE_PACKAGES.filter((p) => p.required && missing.includes(p.name));
  const effect = required.length > 0
    ? 'breakers still protect outgoing calls, but no metrics or traces are exported'
    : 'breakwater\'s own metrics are exported, but not the standard HTTP client metrics';
  return `breakwater: ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} not installed (npm install ${missing.join(' ')}); ${effect}`;
}
