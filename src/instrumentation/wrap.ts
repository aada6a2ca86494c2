import { types } from 'node:util';

/**
 * Patching helper for the client patches. Unlike shimmer it does not mark the wrapper as
 * `__wrapped`: OTel's InstrumentationBase unwraps any marked function before wrapping it again,
 * which would silently remove breakwater when instrumentation-http (or another) is enabled after
 * it. Unwrapping restores the original only when nobody wrapped on top of us; otherwise the
 * wrapper stays in the chain and passes calls straight through, so neither side loses its patch
 * whatever the order.
 */

interface Patch {
  readonly wrapper: unknown;
  readonly original: unknown;
  active: boolean;
}

const patches = new WeakMap<object, Map<PropertyKey, Patch>>();

type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;

export function wrap<T extends object, K extends keyof T>(
  target: T,
  name: K,
  makeWrapper: (original: T[K]) => T[K],
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
  const inner = makeWrapper(original) as unknown as AnyFunction;
  const patch: Patch = { wrapper: undefined, original, active: true };
  // `arguments` handed on as is (rather than a rest array) lets V8 skip building an array on
  // every call: these wrappers sit on the path of every request.
  const wrapper = function (this: unknown): unknown {
    // eslint-disable-next-line prefer-rest-params
    return Reflect.apply(patch.active ? inner : (original as AnyFunction), this, arguments);
  };
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
    setProperty(target, name, patch.original);
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
