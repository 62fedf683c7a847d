import { describe, expect, it } from 'vitest';
import { errorResponse } from '../../../shared/http/error-response.ts';
import { MAX_CORRELATION_ID_LENGTH, parseQueueMessage } from '../../../shared/queue/queue-message.ts';

const limits = { maxAccounts: 1000 };
const request = { To_Account: ['alice'], TagList: ['Tag_Profile_IM_Nick'] };

describe('parseQueueMessage', () => {
  it('reads a request and its CorrelationId', () => {
    const message = parseQueueMessage(JSON.stringify({ ...request, CorrelationId: 'order-42' }), limits);

    expect(message).toEqual({ ok: true, request, correlationId: 'order-42' });
  });

  it('reads a request without CorrelationId', () => {
    const message = parseQueueMessage(JSON.stringify(request), limits);

    expect(message).toEqual({ ok: true, request });
  });

  describe.each([
    ['no JSON', '{"To_Account": ', 60003, undefined],
    ['an invalid request', JSON.stringify({ To_Account: [], TagList: [], CorrelationId: 'c1' }), 40002, 'c1'],
    ['an unknown tag', JSON.stringify({ ...request, TagList: ['Nick'], CorrelationId: 'c2' }), 40001, 'c2'],
    ['a numeric CorrelationId', JSON.stringify({ ...request, CorrelationId: 7 }), 40001, undefined],
    [
      'an overlong CorrelationId',
      JSON.stringify({ ...request, CorrelationId: 'x'.repeat(MAX_CORRELATION_ID_LENGTH + 1) }),
      40001,
      undefined,
    ],
  ])('a message with %s', (_case, body, code, correlationId) => {
    it(`is answered with a ${code} error result that is never retried`, () => {
      const message = parseQueueMessage(body, limits);

      expect(message.ok).toBe(false);
      if (message.ok) return;
      expect(message.correlationId).toBe(correlationId);
      expect(message.error.code).toBe(code);
      expect(message.error.retryable).toBe(false);
      expect(errorResponse(message.error).statusCode).toBe(400);
    });
  });
});
