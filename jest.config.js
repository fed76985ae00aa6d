/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    // tsconfig sets isolatedModules, so ts-jest only transpiles; `tsc --noEmit` does the type checking.
    '^.+\\.ts$': 'ts-jest',
  },
  testTimeout: 60000,
};
