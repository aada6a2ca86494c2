import { createRequire, register } from 'node:module';
import { pathToFileURL } from 'node:url';

/**
 * Registers OpenTelemetry's ESM loader hook (import-in-the-middle) so that modules an ESM app
 * imports by name (`import { credentials } from '@grpc/grpc-js'`, undici) reach the patches.
 * Must run before the app's own imports, which `--import` / `--require` guarantee.
 * Returns the failure instead of throwing: an app without ESM still works unhooked.
 */
export function registerEsmHook(): Error | undefined {
  try {
    const hook = createRequire(import.meta.url).resolve('@opentelemetry/instrumentation/hook.mjs');
    register(pathToFileURL(hook));
    return undefined;
  } catch (err) {
    return err as Error;
  }
}
