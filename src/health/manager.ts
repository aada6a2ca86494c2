import { diag } from '../common/otel-api.js';
import type { Server } from 'node:http';
import { Listeners } from '../common/listeners.js';
import { OptionChecker } from '../common/option-checker.js';
import type {
  CheckRegistration,
  CheckState,
  HealthCheckManagerOptions,
  HealthEvents,
  HealthStatus,
} from './check-types.js';
import { createGrpcHealthService, type GrpcHealthService, type GrpcHealthServiceOptions } from './grpc-health-service.js';
import { HealGuard } from './healer.js';
import { createHealthRequestHandler, listen, type HealthRequestHandler, type ServeOptions } from './http-endpoint.js';
import { designReport, type HealthReport, type HealthSnapshot } from './report.js';
import { CancelScope, KeepAlive, errorMessage, runBounded, toResult, unref, type NormalizedResult } from './run-check.js';
import { ScoreTally } from './scoring.js';
import { checkSettings, managerSettings, type CheckSettings, type ManagerSettings } from './validate.js';

interface Entry {
  readonly settings: CheckSettings;
  /** Mutated in place; `checks()` hands out copies. */
  readonly state: CheckState;
  readonly guard: HealGuard;
  timer: unknown;
  /** The run in progress (check, and heal + re-check when it fails); runs of one check never overlap. */
  inFlight: { done: Promise<void>; keepAlive: KeepAlive } | undefined;
  removed: boolean;
}

/**
 * Runs registered health checks concurrently, each on its own interval and bounded by its timeout,
 * heals what fails (guarded), keeps a running score and serves the latest results over HTTP and
 * gRPC. Serving never runs checks: it reads what the last runs recorded.
 */
export class HealthCheckManager {
  private readonly settings: ManagerSettings;
  private readonly entries = new Map<string, Entry>();
  private readonly tally = new ScoreTally();
  private readonly events = new Listeners<HealthEvents>();
  private readonly servers = new Set<Server>();
  private readonly processStartedAt: number;
  private overall: HealthStatus = 'healthy';
  private running = false;
  /** A round has completed since start (readiness waits for it). */
  private started = false;
  private draining: Promise<void> | undefined;
  /** Ends the drain delay early (stop() must leave no timer behind). */
  private endDrainDelay: (() => void) | undefined;
  /** Cancelled by stop(): settles every run in progress so no timer outlives it. */
  private scope = new CancelScope();

  /**
   * Serves `/health`, `/livez` and `/readyz` from the latest results. Mount it in your own server
   * (`http.createServer(health.requestHandler)`) or as middleware: given a `next`, unknown paths go on to it.
   */
  readonly requestHandler: HealthRequestHandler;

  constructor(options: HealthCheckManagerOptions = {}) {
    this.settings = managerSettings(options);
    this.processStartedAt = this.settings.clock.now() - process.uptime() * 1_000;
    const { showDetails, readinessGroup, livenessGroup } = this.settings;
    this.requestHandler = createHealthRequestHandler({ snapshot: () => this.snapshot(), showDetails, readinessGroup, livenessGroup });
  }

  /** Adds a check. Throws on a bad option (naming it) or a name already registered. Runs it at once when started. */
  register(registration: CheckRegistration): void {
    const settings = checkSettings(registration, this.settings);
    if (this.entries.has(settings.name)) {
      throw new OptionChecker('HealthCheckManager.register()').error('name', 'unique (a check of that name is registered)', settings.name);
    }
    const entry: Entry = {
      settings,
      state: {
        name: settings.name,
        componentType: settings.componentType,
        weight: settings.weight,
        critical: settings.critical,
        autoHeal: settings.heal !== undefined,
        status: 'unknown',
        message: 'not checked yet',
        details: undefined,
        durationMs: 0,
        checkedAt: null,
        heals: { success: 0, failure: 0 },
        groups: settings.groups,
      },
      guard: new HealGuard(settings.healPolicy),
      timer: undefined,
      inFlight: undefined,
      removed: false,
    };
    this.entries.set(settings.name, entry);
    this.tally.add(entry.state);
    this.events.emit('registration', { name: settings.name, registered: true });
    this.updateOverall();
    if (this.running) void this.runEntry(entry, false);
  }

  /** Removes a check (a run in progress is discarded); false when no check has that name. */
  unregister(name: string): boolean {
    const entry = this.entries.get(name);
    if (entry === undefined) return false;
    entry.removed = true;
    this.clearTimer(entry);
    this.entries.delete(name);
    this.tally.remove(entry.state);
    this.closeCheck(entry);
    this.events.emit('registration', { name, registered: false });
    this.updateOverall();
    return true;
  }

  /** Starts the background rounds; resolves to the report of the first round. Never keeps the process alive. */
  async start(): Promise<HealthReport> {
    if (this.running) return this.report();
    this.running = true;
    return this.runRound(false);
  }

  /**
   * Ends the background rounds, settles runs in progress (their results are discarded), releases
   * what checks hold, ends gRPC Watch streams and closes the servers `serve()` started. No timer or
   * handle of the manager stays open afterwards. `start()` may be called again.
   */
  async stop(): Promise<void> {
    this.running = false;
    this.started = false;
    this.scope.cancel();
    this.scope = new CancelScope();
    const inFlight: Promise<void>[] = [];
    for (const entry of this.entries.values()) {
      this.clearTimer(entry);
      if (entry.inFlight !== undefined) inFlight.push(entry.inFlight.done);
      this.closeCheck(entry);
    }
    this.endDrainDelay?.();
    this.events.emit('stop', {});
    await Promise.all(inFlight);
    await Promise.all([...this.servers].map(closeServer));
  }

  /**
   * Runs every check now (a check already running is joined, not doubled); resolves to the report.
   * Until then the process stays alive (bounded by the timeouts), as for any timeout you await.
   */
  async runAll(): Promise<HealthReport> {
    return this.runRound(true);
  }

  /**
   * Starts a graceful shutdown: readiness fails at once (`/readyz` 503, gRPC NOT_SERVING) so load
   * balancers stop sending traffic, liveness stays up, and the promise resolves after
   * `shutdownDelayMs`, when the app's own exit path should continue. Checks keep running. Calling
   * it again returns the same promise. While it waits, its timer keeps the process alive; `stop()`
   * ends the wait. Draining is final: readiness fails for the rest of the manager's life.
   */
  drain(): Promise<void> {
    if (this.draining !== undefined) return this.draining;
    const delayMs = this.settings.shutdownDelayMs;
    this.draining = new Promise<void>((resolve) => {
      if (delayMs === 0) return resolve();
      const { timers } = this.settings;
      const handle = timers.setTimeout(() => this.endDrainDelay?.(), delayMs);
      this.endDrainDelay = () => {
        this.endDrainDelay = undefined;
        timers.clearTimeout(handle);
        resolve();
      };
    });
    this.events.emit('drain', {});
    return this.draining;
  }

  /** Whether `drain()` was called. */
  get isDraining(): boolean {
    return this.draining !== undefined;
  }

  /** The latest results; never runs a check. */
  report(): HealthReport {
    return designReport(this.snapshot());
  }

  /** The latest state of every check, in registration order. */
  checks(): CheckState[] {
    return [...this.entries.values()].map((entry) => copyState(entry.state));
  }

  /** The latest state of one check, or undefined when no check has that name. */
  check(name: string): CheckState | undefined {
    const entry = this.entries.get(name);
    return entry === undefined ? undefined : copyState(entry.state);
  }

  /** Overall status by the scoring rule (see scoring.ts). */
  get status(): HealthStatus {
    return this.overall;
  }

  /** Score 0–100, unrounded. */
  get score(): number {
    return this.tally.score;
  }

  /** Adds a listener; returns the function that removes it. */
  on<K extends keyof HealthEvents>(event: K, listener: (event: HealthEvents[K]) => void): () => void {
    this.events.add(event, listener);
    return () => this.events.remove(event, listener);
  }

  /** Starts an HTTP server with `requestHandler`; resolves once it listens. `stop()` closes it. */
  async serve(options: ServeOptions): Promise<Server> {
    const server = await listen(this.requestHandler, options);
    this.servers.add(server);
    server.once('close', () => this.servers.delete(server));
    return server;
  }

  /** `grpc.health.v1.Health` fed by this manager: `server.addService(s.definition, s.implementation)`. */
  grpcService(options?: GrpcHealthServiceOptions): GrpcHealthService {
    return createGrpcHealthService(this, options);
  }

  private snapshot(): HealthSnapshot {
    const at = this.settings.clock.now();
    return {
      checks: [...this.entries.values()].map((entry) => entry.state),
      score: this.tally.score,
      overall: this.overall,
      at,
      uptimeSeconds: Math.max(0, (at - this.processStartedAt) / 1_000),
      unhealthyBelowScore: this.settings.unhealthyBelowScore,
      started: this.started,
      draining: this.draining !== undefined,
    };
  }

  /** `keepAlive`: the caller awaits this round (runAll), so its timers must keep the process alive. */
  private async runRound(keepAlive: boolean): Promise<HealthReport> {
    await Promise.all([...this.entries.values()].map((entry) => this.runEntry(entry, keepAlive)));
    // Stopped meanwhile: that round does not make a stopped manager ready.
    if (this.running || keepAlive) this.started = true;
    return this.report();
  }

  private runEntry(entry: Entry, keepAlive: boolean): Promise<void> {
    if (entry.inFlight !== undefined) {
      if (keepAlive) entry.inFlight.keepAlive.hold();
      return entry.inFlight.done;
    }
    this.clearTimer(entry);
    const hold = new KeepAlive(keepAlive);
    const done = this.execute(entry, hold)
      .catch((error: unknown) => diag.error(`breakwater: health check "${entry.settings.name}" run failed`, error))
      .finally(() => {
        entry.inFlight = undefined;
        this.schedule(entry);
      });
    entry.inFlight = { done, keepAlive: hold };
    return done;
  }

  private async execute(entry: Entry, keepAlive: KeepAlive): Promise<void> {
    const result = await this.runOnce(entry, keepAlive);
    if (result?.status === 'unhealthy') await this.heal(entry, keepAlive);
  }

  /** One bounded run of the check, recorded; undefined when discarded (stopped or unregistered). */
  private async runOnce(entry: Entry, keepAlive: KeepAlive): Promise<NormalizedResult | undefined> {
    const { clock, elapsed, timers } = this.settings;
    const { check, timeoutMs } = entry.settings;
    const started = elapsed();
    const outcome = await runBounded(check, timeoutMs, timers, this.scope, keepAlive);
    if (outcome.kind === 'cancelled' || entry.removed) return undefined;
    const result = toResult(outcome, timeoutMs);
    this.record(entry, result, elapsed() - started, clock.now());
    return result;
  }

  private async heal(entry: Entry, keepAlive: KeepAlive): Promise<void> {
    const { elapsed, timers } = this.settings;
    const heal = entry.settings.heal;
    const started = elapsed();
    if (heal === undefined || entry.guard.blocked(started) !== undefined) return;
    const attempt = entry.guard.begin();
    const policy = entry.settings.healPolicy;
    const outcome = await runBounded(heal, policy.timeoutMs, timers, this.scope, keepAlive);
    let error: string | undefined;
    if (outcome.kind === 'timeout') error = `heal timed out after ${policy.timeoutMs} ms`;
    if (outcome.kind === 'error') error = `heal failed: ${errorMessage(outcome.error)}`;
    const healedIn = elapsed() - started;
    const after = outcome.kind === 'cancelled' || entry.removed ? undefined : await this.runOnce(entry, keepAlive);
    if (after === undefined) {
      // Stopped or unregistered mid-heal: nothing to judge the heal by, so it does not count.
      entry.guard.abandon();
      return;
    }
    if (error === undefined && after.status === 'unhealthy') error = `still unhealthy after heal: ${after.message}`;
    const succeeded = error === undefined;
    entry.guard.end(elapsed(), succeeded);
    if (after.status !== 'unhealthy') entry.guard.recovered();
    entry.state.heals[succeeded ? 'success' : 'failure']++;
    this.events.emit('heal', {
      name: entry.settings.name,
      attempt,
      outcome: succeeded ? 'success' : 'failure',
      durationMs: healedIn,
      ...(error === undefined ? {} : { error }),
    });
  }

  private record(entry: Entry, result: NormalizedResult, durationMs: number, at: number): void {
    const state = entry.state;
    const from = state.status;
    this.tally.remove(state);
    state.status = result.status;
    state.message = result.message;
    state.details = result.details;
    state.durationMs = durationMs;
    state.checkedAt = at;
    this.tally.add(state);
    // A passing check ends a run of failed heals: the next failure gets fresh attempts.
    if (result.status !== 'unhealthy' && !entry.guard.inProgress) entry.guard.recovered();
    const { name, componentType } = entry.settings;
    this.events.emit('checkComplete', { name, componentType, status: result.status, durationMs });
    if (from !== result.status) {
      this.events.emit('statusChange', { name, componentType, from, to: result.status, message: result.message });
    }
    this.updateOverall();
  }

  private updateOverall(): void {
    const next = this.tally.overall(this.settings.unhealthyBelowScore);
    if (next === this.overall) return;
    const from = this.overall;
    this.overall = next;
    this.events.emit('overallChange', { from, to: next, score: this.tally.score });
  }

  private schedule(entry: Entry): void {
    if (!this.running || entry.removed || entry.timer !== undefined) return;
    entry.timer = this.settings.timers.setTimeout(() => {
      entry.timer = undefined;
      void this.runEntry(entry, false);
    }, entry.settings.intervalMs);
    unref(entry.timer);
  }

  private clearTimer(entry: Entry): void {
    if (entry.timer === undefined) return;
    this.settings.timers.clearTimeout(entry.timer);
    entry.timer = undefined;
  }

  private closeCheck(entry: Entry): void {
    try {
      entry.settings.close?.();
    } catch (error) {
      diag.error(`breakwater: closing health check "${entry.settings.name}" failed`, error);
    }
  }
}

function copyState(state: CheckState): CheckState {
  return { ...state, heals: { ...state.heals } };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
