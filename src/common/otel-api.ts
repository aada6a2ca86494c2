import type * as Api from '@opentelemetry/api';
import type { DiagLogger } from '@opentelemetry/api';

let api: typeof Api | undefined;

/**
 * @opentelemetry/api, loaded at first use. The main entry needs it only when a fault is reported or
 * a dependency check runs, and importing it up front would cost more than the rest of the entry
 * (bench/README.md, import cost). Every copy of the api works on the one set of globals (logger,
 * context manager, providers) on globalThis, so which copy this loads is the same.
 */
export function otelApi(): typeof Api {
  return (api ??= process.getBuiltinModule('node:module').createRequire(import.meta.url)('@opentelemetry/api') as typeof Api);
}

/** `diag` of @opentelemetry/api, without loading it until something is reported. */
export const diag: DiagLogger = {
  error: (message, ...args) => otelApi().diag.error(message, ...args),
  warn: (message, ...args) => otelApi().diag.warn(message, ...args),
  info: (message, ...args) => otelApi().diag.info(message, ...args),
  debug: (message, ...args) => otelApi().diag.debug(message, ...args),
  verbose: (message, ...args) => otelApi().diag.verbose(message, ...args),
};
