import { types } from 'node:util';

/**
 * Patching helper for the client patches. Unlike shimmer it does not mark the wrapper as
 * `__wrapped`: OTel's InstrumentationBase unwraps any marked function before wrapping it again,
 * which would silently remove breakwater when instrumentation-http (or another) is enabled after
 * it. Unwrapping restores the original only when nobody wrapped on top of us; otherwise the
 * wrapper stays in the chain with its patch marked inactive, and must then pass calls straight
 * through, so neither side loses its patch whatever the order.
 *
 * The wrapper makeWrapper() returns is installed as it is, with no generic layer around it: these
 * functions sit on the path of every request (`emit` several times per request).
 */

/** What a wrapper reads to know whether it is still wanted. */
export interface PatchState {
  /** False once unwrapped while someone else's wrapper sits on top: pass every call straight through. */
  readonly active: boolean;
}

interface Patch extends PatchState {
  readonly wrapper: unknown;
  readonly original: unknown;
  /** The target only inherited the original (a method of a parent prototype): unwrap deletes ours. */
  readonly inherited: boolean;
  active: boolean;
}

const patches = new WeakMap<object, Map<PropertyKey, Patch>>();

type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;

export function wrap<T extends object, K extends keyof T>(
  target: T,
  name: K,
  makeWrapper: (original: T[K], patch: PatchState) => T[K],
): void {
  const byName = patches.get(target) ?? new Map<PropertyKey, Patch>();
  patches.set(target, byName);
  const existing = byName.get(name);
  if (existing) {
    existing.active = true;
    return;
  }
  const original = target[name];
  if (typeof original !== 'function') return;
  const patch: Patch = { wrapper: undefined, original, inherited: !Object.hasOwn(target, name), active: true };
  const wrapper = makeWrapper(original, patch) as unknown as AnyFunction;
  copyOwnProperties(original, wrapper);
  (patch as { wrapper: unknown }).wrapper = wrapper;
  byName.set(name, patch);
  setProperty(target, name, wrapper);
}

export function unwrap<T extends object>(target: T, name: keyof T): void {
  const byName = patches.get(target);
  const patch = byName?.get(name);
  if (!byName || !patch) return;
  if (target[name] === patch.wrapper) {
    if (patch.inherited) delete target[name];
    else setProperty(target, name, patch.original);
    byName.delete(name);
  } else {
    patch.active = false;
  }
}

/** Whether `target[name]` currently runs breakwater's wrapper (tests and diagnostics). */
export function isPatched<T extends object>(target: T, name: keyof T): boolean {
  return patches.get(target)?.get(name)?.active === true;
}

function setProperty(target: object, name: PropertyKey, value: unknown): void {
  // ESM namespaces hooked by import-in-the-middle are proxies that accept only defineProperty.
  if (types.isProxy(target)) {
    Object.defineProperty(target, name, { value });
    return;
  }
  const descriptor = Object.getOwnPropertyDescriptor(target, name);
  Object.defineProperty(target, name, {
    configurable: true,
    enumerable: descriptor?.enumerable ?? true,
    writable: true,
    value,
  });
}

// Static properties of the original (e.g. a `util.promisify.custom` symbol) stay visible through
// the wrapper.
function copyOwnProperties(from: object, to: object): void {
  for (const key of Reflect.ownKeys(from)) {
    if (key === 'length' || key === 'name' || key === 'prototype' || key === 'arguments' || key === 'caller') continue;
    const descriptor = Object.getOwnPropertyDescriptor(from, key);
    if (descriptor) {
      try {
        Object.defineProperty(to, key, descriptor);
      } catch {
        // non-configurable on the target: nothing to preserve
      }
    }
  }
}
