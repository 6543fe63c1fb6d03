/** Jest runs the TypeScript sources as native ESM; `tsc --noEmit` does the type check. */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, diagnostics: false, tsconfig: { isolatedModules: true, module: 'esnext', target: 'es2023', verbatimModuleSyntax: false, allowImportingTsExtensions: true, noEmit: true } }],
  },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 20000,
};
