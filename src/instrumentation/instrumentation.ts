import http, { type Server } from 'node:http';
import https from 'node:https';
import type { LoggerProvider } from '@opentelemetry/api';
import {
  InstrumentationBase,
  type InstrumentationModuleDefinition,
  type InstrumentationNodeModuleDefinition,
} from '@opentelemetry/instrumentation';
import { BreakerRegistry, defaultRegistry, replaceRegistryDefaults } from '../breaker/registry.js';
import { OptionChecker } from '../common/option-checker.js';
import { resolveConfig, type ResolvedConfig, type ResolvedHealth } from '../config/resolve.js';
import { breakerRegistryCheck } from '../health/checks/breakers.js';
import { systemCheck } from '../health/checks/system.js';
import { HealthCheckManager } from '../health/manager.js';
import { observeHealth } from '../telemetry/health-metrics.js';
import { BreakwaterTelemetry } from '../telemetry/telemetry.js';
import { DestinationContext } from './destination-context.js';
import { createFetchPatch } from './fetch.js';
import { grpcModuleDefinitions } from './grpc.js';
import { httpModuleDefinitions } from './http.js';
import { claimClients, releaseClients } from './one-per-client.js';
import type { BreakwaterInstrumentationConfig, InstrumentedClient } from './types.js';
import { PACKAGE_NAME, PACKAGE_VERSION } from './version.js';

const LOADED_BUILTINS: Readonly<Record<string, object>> = { http, https };

/** Options that shape what the constructor builds (registry, patches, telemetry, health). */
const CONSTRUCTION_ONLY = ['maxBreakers', 'instrument', 'durationHistogram', 'health'] as const;

/** What the instrumentation builds once, on first need (the base constructor calls in early). */
interface Parts {
  registry: BreakerRegistry;
  health: { manager: HealthCheckManager; options: ResolvedHealth } | undefined;
  context: DestinationContext;
  telemetry: BreakwaterTelemetry;
  fetchPatch: { enable(): void; disable(): void } | undefined;
  /** The clients patched (config `instrument`, read once). */
  clients: ReadonlySet<InstrumentedClient>;
}

/**
 * Puts a circuit breaker in front of every outgoing HTTP, fetch/undici and gRPC destination, and
 * reports every breaker (its own and `@circuitBreaker` ones) as OTel metrics.
 *
 * ```ts
 * new NodeSDK({ instrumentations: [new BreakwaterInstrumentation({ breaker: { failureThreshold: 3 } })] }).start();
 * ```
 */
export class BreakwaterInstrumentation extends InstrumentationBase<BreakwaterInstrumentationConfig> {
  // InstrumentationBase's constructor calls setConfig(), _updateMetricInstruments(), init() and
  // enable() before this class's field initialisers would run; `declare` keeps them from
  // resetting what those calls set.
  declare private _settings: ResolvedConfig;
  declare private _parts: Parts | undefined;
  declare private _healthServing: Promise<Server | undefined> | undefined;
  declare private _definitions: InstrumentationNodeModuleDefinition[] | undefined;
  /** The config given at construction: the options read only then keep its values. */
  declare private _firstConfig: BreakwaterInstrumentationConfig | undefined;

  /** @throws ConfigError naming the option and value when the config is invalid. */
  constructor(config: BreakwaterInstrumentationConfig = {}) {
    super(PACKAGE_NAME, PACKAGE_VERSION, config);
  }

  /** The breakers this instrumentation created, one per destination (read-only use: get, peek, iterate, on). */
  get registry(): BreakerRegistry {
    return this._ensureParts().registry;
  }

  /**
   * Validates and applies a new config, which replaces the old one whole: an option left out is
   * back to its default. `maxBreakers`, `instrument`, `durationHistogram` and `health` are read at
   * construction only: they keep their first value (a different one is warned about through diag),
   * and `getConfig()` shows the value in force. The rest applies to the next request (breaker
   * options to breakers created from then on).
   * @throws ConfigError naming the option and value when the config is invalid.
   */
  override setConfig(config: BreakwaterInstrumentationConfig = {}): void {
    const first = this._firstConfig;
    let effective = config;
    if (first !== undefined && typeof config === 'object' && config !== null) {
      effective = { ...config };
      for (const key of CONSTRUCTION_ONLY) {
        if (key in config && config[key] !== first[key]) {
          this._diag.warn(`breakwater: setConfig(): "${key}" is read at construction only; its first value stays in force`);
        }
        if (first[key] === undefined) delete effective[key];
        else (effective as Record<string, unknown>)[key] = first[key];
      }
    }
    const settings = resolveConfig(effective);
    super.setConfig(effective);
    this._settings = settings;
    this._firstConfig ??= effective;
    if (this._parts) {
      // Replaced, not merged: breaker options left out of the new config are back to their defaults.
      replaceRegistryDefaults(this._parts.registry, settings.breaker, new OptionChecker('BreakwaterInstrumentation').nested('breaker'));
      this._parts.context.settings = settings;
      this._parts.telemetry.setEvents(settings.events);
    }
  }

  /** The health checks run while enabled (config `health`), or undefined when health is off. */
  get health(): HealthCheckManager | undefined {
    return this._ensureParts().health?.manager;
  }

  /**
   * The health endpoint's server once it listens (config `health.port`); undefined without a
   * port or while disabled. Rejects when the port cannot be bound (the app keeps running).
   */
  healthServer(): Promise<Server | undefined> {
    return this._healthServing ?? Promise.resolve(undefined);
  }

  /** Also report the breakers of a registry of your own; returns the undo. */
  observe(registry: BreakerRegistry): () => void {
    return this._ensureParts().telemetry.observeRegistry(registry);
  }

  /**
   * Protects the configured clients again (the constructor already did, unless `enabled: false`).
   * @throws ConfigError naming `instrument` when another enabled BreakwaterInstrumentation protects one of them.
   */
  override enable(): void {
    if (this._enabled) return;
    const parts = this._ensureParts();
    claimClients(this, parts.clients);
    parts.context.enabled = true;
    super.enable();
    this._patchLoadedBuiltins();
    parts.fetchPatch?.enable();
    parts.telemetry.enable();
    if (parts.health) this._startHealth(parts.health);
  }

  override disable(): void {
    if (!this._enabled) return;
    const parts = this._ensureParts();
    parts.context.enabled = false;
    super.disable();
    parts.fetchPatch?.disable();
    parts.telemetry.disable();
    if (parts.health) {
      this._healthServing = undefined;
      parts.health.manager.stop().catch((err: unknown) => this._diag.error('breakwater: stopping health checks failed', err));
    }
    releaseClients(this);
  }

  protected override init(): InstrumentationNodeModuleDefinition[] {
    const { context, clients } = this._ensureParts();
    this._definitions = [
      ...(clients.has('http') ? httpModuleDefinitions(context) : []),
      ...(clients.has('grpc') ? grpcModuleDefinitions(context) : []),
    ];
    return this._definitions;
  }

  // The require hook patches a module when it is next required. node:http is usually loaded long
  // before (by the app or a library): patch the loaded builtin now, and record it as the base class
  // does, so disable() and enable() find it. A later require patches again, which is a no-op.
  // The builtins come from this file's static imports, not from require() or
  // process.getBuiltinModule(): OTel's require hook sees those calls and would mark http as done
  // before instrumentations registered after this one (e.g. instrumentation-http) had their turn.
  private _patchLoadedBuiltins(): void {
    for (const definition of (this._definitions ?? []) as InstrumentationModuleDefinition[]) {
      if (definition.moduleExports !== undefined || typeof definition.patch !== 'function') continue;
      const builtin = LOADED_BUILTINS[definition.name];
      if (builtin === undefined) continue;
      try {
        definition.moduleExports = builtin;
        definition.patch(builtin);
      } catch (err) {
        this._diag.error(`breakwater: could not patch ${definition.name}`, err);
      }
    }
  }

  override setLoggerProvider(loggerProvider: LoggerProvider): void {
    super.setLoggerProvider(loggerProvider);
    this._ensureParts().telemetry.setLogger(this.logger);
  }

  protected override _updateMetricInstruments(): void {
    this._ensureParts().telemetry.setMeter(this.meter);
  }

  private _ensureParts(): Parts {
    if (this._parts) return this._parts;
    const settings = this._settings;
    const registry = new BreakerRegistry({ maxBreakers: settings.maxBreakers, defaults: settings.breaker });
    const context = new DestinationContext(registry, settings, this._diag);
    const telemetry = new BreakwaterTelemetry({
      registries: [registry, defaultRegistry],
      durationHistogram: settings.durationHistogram,
      events: settings.events,
      logger: this.logger,
      diag: this._diag,
    });
    const fetchPatch = settings.instrument.has('fetch') ? createFetchPatch(context) : undefined;
    const health = settings.health
      ? { manager: this._createHealth(settings.health, registry, telemetry), options: settings.health }
      : undefined;
    this._parts = { registry, health, context, telemetry, fetchPatch, clients: settings.instrument };
    return this._parts;
  }

  private _createHealth(options: ResolvedHealth, registry: BreakerRegistry, telemetry: BreakwaterTelemetry): HealthCheckManager {
    const { checkIntervalMs, showDetails, shutdownDelayMs } = options;
    const manager = options.manager ?? new HealthCheckManager({ checkIntervalMs, showDetails, shutdownDelayMs });
    const builtIn = [
      ...(options.system ? [systemCheck()] : []),
      ...(options.breakers
        ? [breakerRegistryCheck(registry), breakerRegistryCheck(defaultRegistry, { name: 'circuit_breakers.decorated' })]
        : []),
    ];
    for (const check of builtIn) {
      try {
        manager.register(check);
      } catch (err) {
        this._diag.warn(`breakwater: built-in health check "${check.name}" not added`, err);
      }
    }
    telemetry.addSource((meter) => observeHealth(meter, manager));
    return manager;
  }

  private _startHealth({ manager, options }: NonNullable<Parts['health']>): void {
    manager.start().catch((err: unknown) => this._diag.error('breakwater: starting health checks failed', err));
    const { port, host } = options;
    const serving = port === undefined ? Promise.resolve(undefined) : manager.serve({ port, host, unref: true });
    serving.catch((err: unknown) => this._diag.error(`breakwater: the health endpoint could not listen on port ${port}`, err));
    this._healthServing = serving;
  }
}
