/** The sequence number of a call that is not tracked (the ring was full, or no slow-call rule). */
export const UNTRACKED = -1;

/** Calls tracked at once per breaker: enough to trip any threshold, small enough to stay under 1 KB. */
const CAPACITY = 64;

/**
 * The start times of a closed breaker's calls in flight, oldest first, so that calls still waiting
 * past `slowCallDurationMs` can be counted as failures while they wait (a destination that hangs
 * then opens its breaker even when no caller sets a timeout). Calls start in time order, so a ring
 * of sequence numbers is enough: the head is the oldest call still in flight. An entry leaves the
 * ring when its call ends or when it is taken as overdue; a call's end after it was taken says so,
 * so that the breaker counts it once.
 */
export class InFlightAges {
  readonly #starts = new Float64Array(CAPACITY);
  readonly #ended = new Uint8Array(CAPACITY);
  /** Sequence number of the oldest entry still in the ring. */
  #head = 0;
  /** Sequence number the next tracked call gets. */
  #next = 0;

  /** Tracks a call started at `start`; its sequence number, or UNTRACKED when the ring is full. */
  add(start: number): number {
    const seq = this.#next;
    if (seq - this.#head >= CAPACITY) return UNTRACKED;
    this.#next = seq + 1;
    const i = seq % CAPACITY;
    this.#starts[i] = start;
    this.#ended[i] = 0;
    return seq;
  }

  /** The call ended: false when it had already been taken as overdue (and counted). */
  end(seq: number): boolean {
    if (seq === UNTRACKED) return true;
    if (seq < this.#head) return false;
    this.#ended[seq % CAPACITY] = 1;
    this.#dropEnded();
    return true;
  }

  /** Takes the calls that started before `deadline` out of the ring; how many there were. */
  takeOverdue(deadline: number): number {
    let taken = 0;
    // Ended entries never stay at the head, so every entry looked at here is still in flight.
    while (this.#head < this.#next && this.#starts[this.#head % CAPACITY]! < deadline) {
      this.#head++;
      taken++;
      this.#dropEnded();
    }
    return taken;
  }

  /** Forgets every entry (the breaker left the closed state): their ends are then reported as taken. */
  clear(): void {
    this.#head = this.#next;
  }

  #dropEnded(): void {
    while (this.#head < this.#next && this.#ended[this.#head % CAPACITY] === 1) this.#head++;
  }
}
