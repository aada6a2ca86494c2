import ts from 'typescript';
import { defineConfig, type Plugin } from 'vitest/config';

// Vite's own transform does not lower standard (TC39) decorators, which Node cannot run yet.
// Compile test and source TypeScript with tsc's transpiler instead, as the build does.
function typescriptTranspile(): Plugin {
  return {
    name: 'breakwater:typescript',
    enforce: 'pre',
    transform(code, id) {
      if (!/\.[cm]?ts$/.test(id) || id.includes('/node_modules/')) return null;
      const out = ts.transpileModule(code, {
        fileName: id,
        compilerOptions: {
          target: ts.ScriptTarget.ES2023,
          module: ts.ModuleKind.ESNext,
          sourceMap: true,
          inlineSources: true,
        },
      });
      return { code: out.outputText, map: out.sourceMapText };
    },
  };
}

export default defineConfig({
  oxc: false,
  plugins: [typescriptTranspile()],
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
