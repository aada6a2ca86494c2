import { logs, SeverityNumber, trace, type Attributes, type DiagLogger, type Logger } from '@opentelemetry/api';
import type { CircuitBreaker } from '../breaker/circuit-breaker.js';
import type { BreakerEvents } from '../breaker/types.js';
import {
  ATTR_BREAKER_NAME, ATTR_BREAKER_SHADOW, ATTR_BREAKER_STATE, ATTR_REJECTED_COUNT, ATTR_TRANSITION_FROM,
  ATTR_TRANSITION_TO, EVENT_REJECTED, EVENT_STATE_CHANGE, SCOPE_NAME,
} from './names.js';

/** Where breaker events are reported: span events on the active span, OTel log records, or both. */
export interface EventTargets {
  readonly spans: boolean;
  readonly logs: boolean;
}

/** Rejection log records of one breaker are at most this far apart. */
export const REJECTION_LOG_INTERVAL_MS = 1_000;

/** One breaker's rejection records: whether the next may go out, and rejections since the last. */
interface RejectionWindow {
  open: boolean;
  count: number;
}

export interface BreakerEventsOptions {
  targets: EventTargets;
  /** Default: the global logs API's `breakwater` logger. */
  logger?: Logger;
  diag: DiagLogger;
}

/**
 * Reports breaker events as they happen, inside the call that caused them (so the active span and
 * context are that call's): as span events and as log-based events (OTEP 4430), with one name and
 * one set of attributes. Transitions are rare and always reported. Rejections can come by the
 * hundred thousand per second, so their log records are limited per breaker: one, then none for
 * REJECTION_LOG_INTERVAL_MS, the next one counting every rejection since the previous record.
 * A timer reopens the window (at most one per breaker per interval), so a rejection reads no clock.
 */
export class BreakerEventReporter {
  #targets: EventTargets;
  #logger: Logger;
  readonly #diag: DiagLogger;
  readonly #windows = new WeakMap<CircuitBreaker, RejectionWindow>();
  #faultReported = false;

  constructor(options: BreakerEventsOptions) {
    this.#targets = options.targets;
    this.#logger = options.logger ?? logs.getLogger(SCOPE_NAME);
    this.#diag = options.diag;
  }

  /** Whether any event is reported: breakers need listeners only then. */
  get active(): boolean {
    return this.#targets.spans || this.#targets.logs;
  }

  setTargets(targets: EventTargets): void {
    this.#targets = targets;
  }

  setLogger(logger: Logger): void {
    this.#logger = logger;
  }

  stateChange(e: BreakerEvents['stateChange']): void {
    try {
      const attributes: Attributes = { [ATTR_BREAKER_NAME]: e.name, [ATTR_TRANSITION_FROM]: e.from, [ATTR_TRANSITION_TO]: e.to };
      if (this.#targets.spans) trace.getActiveSpan()?.addEvent(EVENT_STATE_CHANGE, attributes);
      if (this.#targets.logs) {
        const warn = e.to === 'open';
        this.#logger.emit({
          eventName: EVENT_STATE_CHANGE,
          severityNumber: warn ? SeverityNumber.WARN : SeverityNumber.INFO,
          severityText: warn ? 'WARN' : 'INFO',
          attributes,
        });
      }
    } catch (err) {
      this.#fault(err);
    }
  }

  rejection(breaker: CircuitBreaker, e: BreakerEvents['rejection']): void {
    try {
      // Attributes are built only for a span that takes them or a record that goes out: most
      // rejections have neither.
      const span = this.#targets.spans ? trace.getActiveSpan() : undefined;
      if (span !== undefined) span.addEvent(EVENT_REJECTED, rejectionAttributes(e));
      if (!this.#targets.logs) return;
      let window = this.#windows.get(breaker);
      if (window === undefined) {
        window = { open: true, count: 0 };
        this.#windows.set(breaker, window);
      }
      window.count++;
      if (!window.open) return;
      const attributes = rejectionAttributes(e);
      attributes[ATTR_REJECTED_COUNT] = window.count;
      window.open = false;
      window.count = 0;
      const reopen = window;
      setTimeout(() => {
        reopen.open = true;
      }, REJECTION_LOG_INTERVAL_MS).unref();
      this.#logger.emit({ eventName: EVENT_REJECTED, severityNumber: SeverityNumber.WARN, severityText: 'WARN', attributes });
    } catch (err) {
      this.#fault(err);
    }
  }

  // Once: a fault here would otherwise repeat on every rejection.
  #fault(err: unknown): void {
    if (this.#faultReported) return;
    this.#faultReported = true;
    this.#diag.error('breakwater: reporting a breaker event failed (reported once)', err);
  }
}

function rejectionAttributes(e: BreakerEvents['rejection']): Attributes {
  const attributes: Attributes = { [ATTR_BREAKER_NAME]: e.name, [ATTR_BREAKER_STATE]: e.state };
  if (e.shadow) attributes[ATTR_BREAKER_SHADOW] = true;
  return attributes;
}
