/**
 * Tripping rules of the closed state. The breaker holds one and never knows which: it reports each
 * counted outcome and opens when `failure()` says so. Slow calls arrive here as failures.
 */
export interface TripPolicy {
  success(): void;
  /** Records a failure; true when the breaker must open. */
  failure(): boolean;
  /** Forgets everything (the breaker left the closed state or was reset). */
  reset(): void;
}

/** Opens after `threshold` failures in a row. */
export class ConsecutiveFailures implements TripPolicy {
  #failures = 0;
  readonly #threshold: number;

  constructor(threshold: number) {
    this.#threshold = threshold;
  }

  success(): void {
    this.#failures = 0;
  }

  failure(): boolean {
    return ++this.#failures >= this.#threshold;
  }

  reset(): void {
    this.#failures = 0;
  }
}

/** Outcome bits per word of the ring: 30 keeps every word a small integer (V8 Smi) in a plain array. */
const BITS = 30;

/**
 * Opens when the share of failures among the last `windowSize` calls reaches `thresholdPercent`,
 * once the window holds at least `minimumCalls` calls (resilience4j's count-based window).
 * Outcomes live in a ring of bits, allocated on first use: a 100-call window costs 4 numbers.
 */
export class FailureRateWindow implements TripPolicy {
  readonly #size: number;
  readonly #minimumCalls: number;
  readonly #thresholdPercent: number;
  #bits: number[] | undefined;
  #next = 0;
  #count = 0;
  #failures = 0;

  constructor(thresholdPercent: number, windowSize: number, minimumCalls: number) {
    this.#thresholdPercent = thresholdPercent;
    this.#size = windowSize;
    this.#minimumCalls = minimumCalls;
  }

  success(): void {
    this.#record(false);
  }

  failure(): boolean {
    this.#record(true);
    return this.#count >= this.#minimumCalls && this.#failures * 100 >= this.#thresholdPercent * this.#count;
  }

  reset(): void {
    this.#bits?.fill(0);
    this.#next = 0;
    this.#count = 0;
    this.#failures = 0;
  }

  #record(failed: boolean): void {
    const bits = (this.#bits ??= new Array<number>(Math.ceil(this.#size / BITS)).fill(0));
    const i = this.#next;
    const word = (i / BITS) | 0;
    const mask = 1 << (i % BITS);
    if (this.#count === this.#size) {
      if ((bits[word]! & mask) !== 0) this.#failures--;
    } else {
      this.#count++;
    }
    if (failed) {
      bits[word]! |= mask;
      this.#failures++;
    } else {
      bits[word]! &= ~mask;
    }
    this.#next = i + 1 === this.#size ? 0 : i + 1;
  }
}
