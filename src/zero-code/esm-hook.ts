import { createRequire, register } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * Registers OpenTelemetry's ESM loader hook (import-in-the-middle) so that modules an ESM app
 * imports by name (`import { credentials } from '@grpc/grpc-js'`, undici) reach the patches.
 * Must run before the app's own imports, which `--import` / `--require` guarantee.
 * Returns the failure instead of throwing: an app without ESM still works unhooked.
 */
export function registerEsmHook(): Error | undefined {
  try {
    const here = typeof __filename === 'string' ? __filename : thisFile();
    if (here === undefined) return new Error('cannot locate breakwater on disk');
    const hook = createRequire(here).resolve('@opentelemetry/instrumentation/hook.mjs');
    register(pathToFileURL(hook));
    return undefined;
  } catch (err) {
    return err as Error;
  }
}

// The ESM build has neither `__filename` nor (as the same source compiles to CJS) `import.meta`;
// the raw call site of this function names the file it runs from.
function thisFile(): string | undefined {
  const original = Error.prepareStackTrace;
  try {
    Error.prepareStackTrace = (_err, sites) => sites;
    const sites = new Error().stack as unknown as NodeJS.CallSite[];
    const file = sites[0]?.getFileName() ?? undefined;
    return file?.startsWith('file:') ? fileURLToPath(file) : file;
  } finally {
    Error.prepareStackTrace = original;
  }
}
