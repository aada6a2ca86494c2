import type { AddressInfo } from 'node:net';
import { isMainThread } from 'node:worker_threads';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { configFromEnv } from '../config/env.js';
import { DEFAULT_MAX_BREAKERS } from '../config/defaults.js';
import { BreakwaterInstrumentation } from '../instrumentation/instrumentation.js';
import { breakwaterViews } from '../telemetry/views.js';
import { registerEsmHook } from './esm-hook.js';
import { chooseExporters } from './exporters.js';
import { shutdownOnExit } from './lifecycle.js';

export interface ZeroCodeHandle {
  sdk: NodeSDK;
  instrumentation: BreakwaterInstrumentation;
  shutdown(): Promise<void>;
}

const STARTED = Symbol.for('breakwater.register');

/**
 * What `breakwater/register` does: a NodeSDK with BreakwaterInstrumentation and the HTTP
 * instrumentation, configured from the environment. Never throws into the app it is preloaded
 * in: a bad value is warned about and replaced by its default; a failure to start leaves the app
 * running uninstrumented, with one warning.
 */
export function startZeroCode(env: NodeJS.ProcessEnv = process.env): ZeroCodeHandle | undefined {
  // Node also runs `--require` preloads in worker threads, the ESM loader's hook thread included;
  // the SDK belongs to the main thread alone (one exporter, one port).
  if (!isMainThread) return undefined;
  // OpenTelemetry's kill switch turns breakwater off too: no patches, no hook, no endpoints.
  if (/^\s*true\s*$/i.test(env.OTEL_SDK_DISABLED ?? '')) return undefined;
  const holder = globalThis as { [STARTED]?: ZeroCodeHandle };
  if (holder[STARTED]) return holder[STARTED]; // preloaded twice (--require and --import)
  const warn = (message: string): void => console.warn(message);
  try {
    const hookError = registerEsmHook();
    if (hookError) warn(`breakwater: ESM imports will not be instrumented: ${hookError.message}`);

    const { config, healthPort, healthHost, healthShowDetails, shutdownDelayMs } = configFromEnv(env, warn);
    if (healthPort !== undefined) config.health = { port: healthPort, host: healthHost, showDetails: healthShowDetails, shutdownDelayMs };
    const instrumentation = new BreakwaterInstrumentation(config);
    const exporters = chooseExporters(env, warn);
    const maxBreakers = config.maxBreakers ?? DEFAULT_MAX_BREAKERS;
    const sdk = new NodeSDK({
      instrumentations: [instrumentation, new HttpInstrumentation()],
      ...(exporters.metricReaders ? { metricReaders: exporters.metricReaders } : {}),
      ...(exporters.tracesOff ? { spanProcessors: [] } : {}),
      ...(exporters.logsOff ? { logRecordProcessors: [] } : {}),
      views: maxBreakers > DEFAULT_MAX_BREAKERS ? breakwaterViews({ maxBreakers }) : [],
    });
    sdk.start();
    instrumentation.healthServer().then(
      (server) => {
        // Port 0 picks a free port: say which, or nobody can reach it.
        const address = healthPort === 0 ? (server?.address() as AddressInfo | null) : null;
        if (address) warn(`breakwater: BREAKWATER_HEALTH_PORT=0: the health endpoint listens on ${address.address} port ${address.port}`);
      },
      (err: unknown) => warn(`breakwater: BREAKWATER_HEALTH_PORT=${healthPort}: the health endpoint could not listen: ${(err as Error).message}`),
    );
    const handle: ZeroCodeHandle = { sdk, instrumentation, shutdown: () => sdk.shutdown() };
    // SIGTERM: readiness fails at once, then BREAKWATER_SHUTDOWN_DELAY_MS passes before the shutdown.
    const health = instrumentation.health;
    const drain = health ? () => health.drain() : shutdownDelayMs ? () => new Promise<void>((r) => setTimeout(r, shutdownDelayMs)) : undefined;
    shutdownOnExit(handle.shutdown, warn, undefined, drain);
    holder[STARTED] = handle;
    return handle;
  } catch (err) {
    warn(`breakwater: could not start; the application runs without it: ${String(err)}`);
    return undefined;
  }
}
