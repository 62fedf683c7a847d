import { describePortraitGet } from './portrait-get-suite.ts';

describePortraitGet('source (functions/*.ts)', () => []);
