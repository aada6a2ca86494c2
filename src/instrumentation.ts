/**
 * `import { BreakwaterInstrumentation } from 'breakwater/instrumentation'`: the OTel instrumentation,
 * apart from the main entry because its base class loads @opentelemetry/instrumentation and the
 * module hooks (require-in-the-middle, import-in-the-middle), which an app that only uses
 * CircuitBreaker should not pay for at start-up.
 */
export { BreakwaterInstrumentation } from './instrumentation/instrumentation.js';
export type { AutoBreakerOptions, BreakwaterEventsOptions, BreakwaterInstrumentationConfig, InstrumentedClient } from './instrumentation/types.js';
