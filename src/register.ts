/**
 * Zero-code entry: `node --import breakwater/register app.mjs` or
 * `node --require breakwater/register app.cjs`. Configured by BREAKWATER_* and OTEL_* variables.
 */
import { startZeroCode } from './zero-code/start.js';

startZeroCode();
