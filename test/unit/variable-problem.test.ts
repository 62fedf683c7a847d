import { describe, expect, it } from 'vitest';
import { variableProblem } from '../../shared/variable-problem.ts';

describe('variableProblem', () => {
  it.each([
    ['PORT', 'eighty', 'PORT is "eighty": do this'],
    ['--timeout', 'soon', '--timeout is "soon": do this'],
    ['TABLE_NAME', undefined, 'TABLE_NAME is not set: do this'],
    ['TIM_SECRET_KEY', 'k3y', 'TIM_SECRET_KEY is set (value hidden): do this'],
    ['TIM_CALLBACK_TOKEN', 'tok', 'TIM_CALLBACK_TOKEN is set (value hidden): do this'],
    ['AWS_SECRET_ACCESS_KEY', 'abc', 'AWS_SECRET_ACCESS_KEY is set (value hidden): do this'],
  ])('%s=%s', (name, value, expected) => {
    expect(variableProblem(name, value, 'do this')).toBe(expected);
  });
});
