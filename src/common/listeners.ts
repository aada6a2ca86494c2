/**
 * Listener lists shared by the breaker, the registry and the health manager. Lists are copied on change, so an emit
 * iterates a stable array even when a listener unsubscribes itself. A throwing listener is
 * reported once (as a process warning) and never reaches the call that emitted.
 */
export type Listener<P> = (payload: P) => void;

const reported = new WeakSet<object>();

export class Listeners<Events extends object> {
  #lists: { [E in keyof Events]?: readonly Listener<Events[E]>[] } = {};

  add<E extends keyof Events>(event: E, listener: Listener<Events[E]>): void {
    if (typeof listener !== 'function') {
      throw new TypeError(`listener for "${String(event)}" must be a function, got ${typeof listener}`);
    }
    this.#lists[event] = [...(this.#lists[event] ?? []), listener];
  }

  remove<E extends keyof Events>(event: E, listener: Listener<Events[E]>): void {
    const list = this.#lists[event];
    if (list === undefined) return;
    const i = list.indexOf(listener);
    if (i === -1) return;
    const next = list.slice(0, i).concat(list.slice(i + 1));
    if (next.length === 0) delete this.#lists[event];
    else this.#lists[event] = next;
  }

  has(event: keyof Events): boolean {
    return this.#lists[event] !== undefined;
  }

  emit<E extends keyof Events>(event: E, payload: Events[E]): void {
    const list = this.#lists[event];
    if (list === undefined) return;
    for (const listener of list) {
      try {
        listener(payload);
      } catch (err) {
        reportListenerError(String(event), listener, err);
      }
    }
  }
}

function reportListenerError(event: string, listener: object, err: unknown): void {
  if (reported.has(listener)) return;
  reported.add(listener);
  try {
    process.emitWarning(`breakwater: a "${event}" listener threw (reported once per listener): ${String(err)}`, {
      code: 'BREAKWATER_LISTENER_ERROR',
    });
  } catch {
    // Reporting must not fail the call either.
  }
}
