import type { DiagLogger } from '@opentelemetry/api';

let api: DiagLogger | undefined;
// OTel's diag, loaded at the first message: the main entry speaks to diag only on faults, and
// importing @opentelemetry/api up front would cost more than the rest of the entry (bench: import).
// Every copy of the api forwards to the one logger registered on globalThis, so which copy is the
// same.
const real = (): DiagLogger => (api ??= (process.getBuiltinModule('node:module').createRequire(import.meta.url)('@opentelemetry/api') as typeof import('@opentelemetry/api')).diag);

/** `diag` of @opentelemetry/api, without loading it until something is reported. */
export const diag: DiagLogger = {
  error: (message, ...args) => real().error(message, ...args),
  warn: (message, ...args) => real().warn(message, ...args),
  info: (message, ...args) => real().info(message, ...args),
  debug: (message, ...args) => real().debug(message, ...args),
  verbose: (message, ...args) => real().verbose(message, ...args),
};
