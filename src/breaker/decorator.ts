import { defaultRegistry, type BreakerDefaults } from './registry.js';

/**
 * Standard (TC39) decorator for async methods: every call runs through the breaker `name` of
 * `defaultRegistry`, shared by all instances and by every method decorated with the same name (the
 * first decoration's options create it). The breaker is looked up per call, so a breaker evicted
 * from the registry is replaced by a fresh one.
 */
export function circuitBreaker(name: string, options?: BreakerDefaults) {
  // Validates the name and options when the class is defined, not on the first call.
  defaultRegistry.get(name, options);
  return function decorate<This, Args extends unknown[], R>(
    method: (this: This, ...args: Args) => Promise<R>,
    context: ClassMethodDecoratorContext<This, (this: This, ...args: Args) => Promise<R>>,
  ): (this: This, ...args: Args) => Promise<R> {
    if (context.kind !== 'method') {
      throw new TypeError(`@circuitBreaker("${name}") decorates methods, not a ${String((context as { kind: unknown }).kind)}`);
    }
    return function (this: This, ...args: Args): Promise<R> {
      return defaultRegistry.get(name, options).execute(() => method.apply(this, args));
    };
  };
}
