import { defineConfig } from 'vitest/config';
import base from './vitest.config.ts';

/** The fast unit layer alone (`test/unit/`): what `npm run mutate` runs against each mutant. */
export default defineConfig({ test: { ...base.test, include: ['test/unit/**/*.test.ts'] } });
