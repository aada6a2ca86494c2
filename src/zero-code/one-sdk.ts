import { createNoopMeter, metrics } from '@opentelemetry/api';
import { InstrumentationBase, InstrumentationNodeModuleDefinition, registerInstrumentations, type Instrumentation } from '@opentelemetry/instrumentation';
import { SCOPE_NAME } from '../telemetry/names.js';
import { PACKAGE_VERSION } from '../instrumentation/version.js';

/**
 * True when an OpenTelemetry SDK already registered the global MeterProvider, e.g.
 * `--import @opentelemetry/auto-instrumentations-node/register` placed before breakwater's.
 */
export function sdkAlreadyRunning(): boolean {
  return metrics.getMeterProvider().getMeter(SCOPE_NAME) !== createNoopMeter();
}

interface NodeSdkLike {
  start(): void;
  _instrumentations?: unknown;
}

const JOINED = Symbol.for('breakwater.one-sdk');
const HELD = Symbol.for('breakwater.one-sdk.held');

interface InstrumentationBaseLike {
  prototype: { enable(): void; instrumentationName: string };
}

/**
 * One SDK per process: once breakwater/register has started its NodeSDK, a NodeSDK started after it
 * (auto-instrumentations-node/register placed after breakwater's) does not start a second set of
 * providers and exporters, which would lose the race for the globals. Its instrumentations report
 * through the running SDK instead; the ones breakwater already runs (by name) are not doubled.
 */
export class OneSdkGuard extends InstrumentationBase {
  declare private _running: ReadonlySet<string>;
  declare private _instances: ReadonlySet<object>;
  declare private _notice: (message: string) => void;

  constructor(running: readonly Instrumentation[], notice: (message: string) => void) {
    super('breakwater-one-sdk', PACKAGE_VERSION, { enabled: false });
    this._running = new Set(running.map((i) => i.instrumentationName));
    this._instances = new Set(running);
    this._notice = notice;
    this._hold(InstrumentationBase as unknown as InstrumentationBaseLike);
    this.enable();
  }

  protected override init(): InstrumentationNodeModuleDefinition[] {
    return [
      new InstrumentationNodeModuleDefinition('@opentelemetry/sdk-node', ['*'], (exports: { NodeSDK?: { prototype: NodeSdkLike } }) => {
        const proto = exports.NodeSDK?.prototype;
        if (proto && !(JOINED in proto)) this._guard(proto);
        return exports;
      }),
      // A later register may bring its own copy (auto-instrumentations-node pins its own versions).
      new InstrumentationNodeModuleDefinition('@opentelemetry/instrumentation', ['*'], (exports: { InstrumentationBase?: InstrumentationBaseLike }) => {
        if (exports.InstrumentationBase) this._hold(exports.InstrumentationBase);
        return exports;
      }),
    ];
  }

  /**
   * A second instance of an instrumentation breakwater runs (a later register's HttpInstrumentation)
   * patches in its constructor, long before its NodeSDK starts; disabling it then unwraps the wrong
   * layer of node:http. So its enable() does nothing while the guard is on: it never patches.
   */
  private _hold(base: InstrumentationBaseLike): void {
    const proto = base.prototype;
    if (HELD in proto) return;
    const original = proto.enable;
    const isOn = (): boolean => this._enabled;
    const running = this._running;
    const instances = this._instances;
    Object.defineProperty(proto, HELD, { value: true });
    proto.enable = function enable(this: InstrumentationBaseLike['prototype']): void {
      if (isOn() && running.has(this.instrumentationName) && !instances.has(this)) return;
      original.call(this);
    };
  }

  private _guard(proto: NodeSdkLike): void {
    const original = proto.start;
    const isOn = (): boolean => this._enabled;
    const running = this._running;
    const notice = this._notice;
    Object.defineProperty(proto, JOINED, { value: true });
    proto.start = function start(this: NodeSdkLike): void {
      const instrumentations = this._instrumentations;
      // A NodeSDK whose shape we do not know starts as it would have without breakwater.
      if (!isOn() || !Array.isArray(instrumentations)) return original.call(this);
      const kept: Instrumentation[] = [];
      for (const i of instrumentations as Instrumentation[]) {
        if (running.has(i.instrumentationName)) i.disable();
        else kept.push(i);
      }
      registerInstrumentations({ instrumentations: kept });
      notice('breakwater: an OpenTelemetry NodeSDK started after breakwater/register joined breakwater\'s SDK (one SDK per process): its instrumentations report through it, its own exporters were not started');
    };
  }
}
