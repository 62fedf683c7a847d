// @ts-check
/**
 * `npm run mutate`: mutation testing of the pure core and the service's recovery logic against the
 * fast unit layer (docs/testing.md, "Mutation testing"). Modules are listed by path; a survivor
 * means no unit test notices that bug.
 *
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  mutate: [
    // Protocol: Tencent's rules.
    'shared/tencent/error-codes.ts',
    'shared/tencent/limits.ts',
    'shared/tencent/callback-signature.ts',
    'shared/tencent/usersig.ts',
    'shared/upstream/portrait-reply.ts',
    // Domain: requests, replies, and the service's recovery on fakes of its ports.
    'shared/portrait/request-validation.ts',
    'shared/portrait/portrait-request.ts',
    'shared/portrait/chunking.ts',
    'shared/portrait/merge.ts',
    'shared/portrait/portrait-service.ts',
    'shared/portrait/upstream-run.ts',
    'shared/portrait/tag-refusals.ts',
    'shared/portrait/stale-if-error.ts',
    'shared/portrait/early-refresh.ts',
    'shared/portrait/unknown-account-search.ts',
    // Pure policies of the adapters and transports.
    'shared/cache/freshness.ts',
    'shared/ratelimit/call-schedule.ts',
    'shared/ratelimit/call-line.ts',
    'shared/http/cache-control.ts',
    'shared/callback/event-time.ts',
  ],
  testRunner: 'vitest',
  // The unit layer alone. Not Stryker's `testFiles`: with it, StrykerJS 10.1 activates static
  // mutants after their module was loaded, so they all survive.
  vitest: { configFile: 'vitest.unit.config.ts' },
  coverageAnalysis: 'perTest',
  // The machine's 2 cores are shared; more runners only queue.
  concurrency: 2,
  incremental: true,
  incrementalFile: 'reports/mutation/incremental.json',
  reporters: ['clear-text', 'progress', 'html'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  clearTextReporter: { allowColor: false, logTests: false, reportTests: false },
  thresholds: { high: 90, low: 80, break: 80 },
  tempDirName: '.stryker-tmp',
  // Names no file on purpose: Stryker rewrites the tsconfig through TypeScript's JavaScript API,
  // which TypeScript 7 no longer has, and ours has no `extends` or `references` to rewrite.
  tsconfigFile: 'no-tsconfig-rewrite',
  ignorePatterns: ['cdk.out', 'bench/.tmp', 'reports', 'coverage'],
};
