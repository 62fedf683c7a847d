import { describe, expect, it } from 'vitest';
import {
  InvalidRequestError,
  TencentApiError,
  TencentProtocolError,
  TencentTransportError,
} from '../../../shared/errors.ts';
import { CODE_TABLE, type Disposition, isRetryable, ruleFor } from '../../../shared/tencent/error-codes.ts';

/** The rows of docs/tencent.md, "Error codes", written out independently of the code table. */
const REFERENCE_ROWS: ReadonlyArray<{ code: number; disposition: Disposition; retryable: boolean }> = [
  { code: 0, disposition: 'success', retryable: false },
  { code: 40001, disposition: 'fatal-request', retryable: false },
  { code: 40002, disposition: 'fatal-request', retryable: false },
  { code: 40003, disposition: 'account-failure', retryable: false },
  { code: 40004, disposition: 'fatal-config', retryable: false },
  { code: 40006, disposition: 'retry', retryable: true },
  { code: 40007, disposition: 'fatal-request', retryable: false },
  { code: 40009, disposition: 'fatal-request', retryable: false },
  { code: 60002, disposition: 'fatal-config', retryable: false },
  { code: 60003, disposition: 'fatal-config', retryable: false },
  { code: 60004, disposition: 'fatal-config', retryable: false },
  { code: 60005, disposition: 'fatal-config', retryable: false },
  { code: 60006, disposition: 'fatal-config', retryable: false },
  { code: 60007, disposition: 'rate-limited', retryable: true },
  { code: 60008, disposition: 'retry', retryable: true },
  { code: 60010, disposition: 'fatal-config', retryable: false },
  { code: 60011, disposition: 'rate-limited', retryable: true },
  { code: 60018, disposition: 'rate-limited', retryable: true },
  { code: 60019, disposition: 'rate-limited', retryable: true },
  { code: 60020, disposition: 'fatal-config', retryable: false },
  { code: 60021, disposition: 'fatal-config', retryable: false },
  { code: 70001, disposition: 'resign', retryable: true },
  { code: 70002, disposition: 'reload-credentials', retryable: true },
  { code: 70003, disposition: 'reload-credentials', retryable: true },
  { code: 70005, disposition: 'reload-credentials', retryable: true },
  { code: 70009, disposition: 'reload-credentials', retryable: true },
  { code: 70013, disposition: 'fatal-config', retryable: false },
  { code: 70014, disposition: 'fatal-config', retryable: false },
  { code: 70016, disposition: 'fatal-config', retryable: false },
  { code: 70020, disposition: 'fatal-config', retryable: false },
  { code: 70050, disposition: 'wait-minute', retryable: false },
  { code: 70052, disposition: 'resign', retryable: true },
  { code: 70169, disposition: 'retry', retryable: true },
  { code: 70500, disposition: 'retry', retryable: true },
];

describe('the Tencent code table', () => {
  describe.each(REFERENCE_ROWS)('code $code', ({ code, disposition, retryable }) => {
    it(`is ${disposition}, ${retryable ? '' : 'not '}retryable`, () => {
      // Act
      const rule = ruleFor(code);

      // Assess
      expect(rule.disposition).toBe(disposition);
      expect(isRetryable(rule.disposition)).toBe(retryable);
      expect(rule.hint.length).toBeGreaterThan(0);
    });
  });

  describe.each(REFERENCE_ROWS.filter((row) => row.code !== 0))(
    'code $code from Tencent',
    ({ code, disposition, retryable }) => {
      it('becomes a TencentApiError with that disposition and a message naming the code', () => {
        // Act
        const error = new TencentApiError(code, 'Tencent says no');

        // Assess
        expect(error).toMatchObject({
          name: 'TencentApiError',
          code,
          disposition,
          retryable,
          errorInfo: 'Tencent says no',
        });
        expect(error.message).toContain(String(code));
        expect(error.message).toContain(ruleFor(code).hint);
      });
    },
  );

  it('holds exactly the reference rows, no more', () => {
    // Act
    const tableCodes = Object.keys(CODE_TABLE)
      .map(Number)
      .sort((a, b) => a - b);

    // Assess
    expect(tableCodes).toEqual(REFERENCE_ROWS.map((row) => row.code).sort((a, b) => a - b));
  });

  it.each([70016, 70020])('tells the operator to check the region on %i', (code) => {
    // Act
    const { hint } = ruleFor(code);

    // Assess
    expect(hint).toMatch(/TIM_REGION/);
  });

  it.each([12345, 60001, 99999, -1])('treats the unknown code %i as fatal, never retried blindly', (code) => {
    // Act
    const error = new TencentApiError(code, '');

    // Assess
    expect(error.disposition).toBe('fatal-config');
    expect(error.retryable).toBe(false);
    expect(error.message).toBe(
      `Tencent refused portrait_get with ${code}: an error code this gateway does not know`,
    );
  });
});

describe('errors raised without a Tencent code', () => {
  it.each([
    ['a transport failure', new TencentTransportError('timeout', 'no answer'), 60008, true],
    ['a protocol failure', new TencentProtocolError('not JSON'), 70500, true],
    ['an invalid request', new InvalidRequestError(40001, 'TagList', 'TagList is empty'), 40001, false],
  ])('%s carries code %i and retryable %s', (_, error, code, retryable) => {
    // Assess
    expect(error.code).toBe(code);
    expect(error.retryable).toBe(retryable);
  });
});
