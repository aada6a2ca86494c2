// Kept equal to package.json's "version" by test/instrumentation/instrumentation-version.test.ts.
// A constant, because neither `import.meta` (CJS build) nor `require` (ESM build) works in both.
export const PACKAGE_NAME = 'breakwater';
export const PACKAGE_VERSION = '0.1.0';
