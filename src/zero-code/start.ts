import type { AddressInfo } from 'node:net';
import { isMainThread } from 'node:worker_threads';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import type * as SdkNode from '@opentelemetry/sdk-node';
import { configFromEnv } from '../config/env.js';
import { DEFAULT_MAX_BREAKERS } from '../config/defaults.js';
import { BreakwaterInstrumentation } from '../instrumentation/instrumentation.js';
import { breakwaterViews } from '../telemetry/views.js';
import { registerEsmHook } from './esm-hook.js';
import { chooseExporters } from './exporters.js';
import { shutdownOnExit } from './lifecycle.js';
import { OneSdkGuard, sdkAlreadyRunning } from './one-sdk.js';
import { loadPart, missingPartsMessage, type ZeroCodePackage } from './parts.js';
import { enabledStandardInstrumentations } from './standard-instrumentations.js';

export interface ZeroCodeHandle {
  /** The SDK breakwater started; undefined when it joined one already running, or sdk-node is not installed. */
  sdk: SdkNode.NodeSDK | undefined;
  instrumentation: BreakwaterInstrumentation;
  shutdown(): Promise<void>;
}

const STARTED = Symbol.for('breakwater.register');

/**
 * What `breakwater/register` does: a NodeSDK with BreakwaterInstrumentation and the standard HTTP
 * and undici instrumentations, configured from the environment; or, when an SDK is already running,
 * BreakwaterInstrumentation reporting through it. Never throws into the app it is preloaded in: a
 * bad value is warned about and replaced by its default; a missing optional package is named in one
 * line; a failure to start leaves the app running uninstrumented, with one warning.
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
    const joined = sdkAlreadyRunning();
    const instrumentation = new BreakwaterInstrumentation(config);
    let sdk: SdkNode.NodeSDK | undefined;
    if (joined) {
      // Its metrics go to that SDK's exporters; its own instrumentations are its business.
      warn('breakwater: an OpenTelemetry SDK was already running (an earlier --import or --require); breakwater reports through it, so its metrics go to that SDK\'s exporters (OTEL_METRICS_EXPORTER)');
    } else {
      sdk = startSdk(env, config.maxBreakers ?? DEFAULT_MAX_BREAKERS, instrumentation, warn);
    }
    instrumentation.healthServer().then(
      (server) => {
        // Port 0 picks a free port: say which, or nobody can reach it.
        const address = healthPort === 0 ? (server?.address() as AddressInfo | null) : null;
        if (address) warn(`breakwater: BREAKWATER_HEALTH_PORT=0: the health endpoint listens on ${address.address} port ${address.port}`);
      },
      (err: unknown) => warn(`breakwater: BREAKWATER_HEALTH_PORT=${healthPort}: the health endpoint could not listen: ${(err as Error).message}`),
    );
    const handle: ZeroCodeHandle = {
      sdk,
      instrumentation,
      shutdown: async () => {
        if (sdk) await sdk.shutdown();
        else instrumentation.disable();
      },
    };
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

function startSdk(env: NodeJS.ProcessEnv, maxBreakers: number, instrumentation: BreakwaterInstrumentation, warn: (message: string) => void): SdkNode.NodeSDK | undefined {
  const missing: ZeroCodePackage[] = [];
  const part = <T>(name: ZeroCodePackage): T | undefined => {
    const loaded = loadPart<T>(name);
    if (loaded === undefined) missing.push(name);
    return loaded;
  };
  const sdkNode = part<typeof SdkNode>('@opentelemetry/sdk-node');
  const prometheus = part<typeof import('@opentelemetry/exporter-prometheus')>('@opentelemetry/exporter-prometheus');
  const standard: Instrumentation[] = [];
  for (const s of enabledStandardInstrumentations(env)) {
    const mod = part<Record<string, new () => Instrumentation>>(s.package);
    if (mod) standard.push(new mod[s.className]!());
  }
  const message = missingPartsMessage(missing);
  if (message) warn(message);
  if (!sdkNode) return undefined; // the breakers still protect; nothing is exported

  const exporters = chooseExporters(env, warn, prometheus?.PrometheusExporter);
  const sdk = new sdkNode.NodeSDK({
    instrumentations: [instrumentation, ...standard],
    ...(exporters.metricReaders ? { metricReaders: exporters.metricReaders } : {}),
    ...(exporters.tracesOff ? { spanProcessors: [] } : {}),
    ...(exporters.logsOff ? { logRecordProcessors: [] } : {}),
    views: maxBreakers > DEFAULT_MAX_BREAKERS ? breakwaterViews({ maxBreakers }) : [],
  });
  sdk.start();
  new OneSdkGuard([instrumentation, ...standard], warn);
  return sdk;
}
