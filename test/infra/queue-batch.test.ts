import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FUNCTION_TIMEOUT_SECONDS } from '../../infra/api-routes.ts';
import { QUEUE_BATCH_MAX, QUEUE_CEILING_SHARE, queueBatchSize } from '../../infra/queue-batch.ts';
import { BOUNDS, DEFAULTS } from '../../shared/config.ts';
import { DEADLINE_MARGIN_MS } from '../../shared/invocation-deadline.ts';
import { PUBLISH_BUDGET_MS } from '../../shared/queue/results-publisher.ts';

/** The seconds a queue invocation gives the service: its timeout less the publish budget and the margin. */
const SERVE_SECONDS = FUNCTION_TIMEOUT_SECONDS.queue - (PUBLISH_BUDGET_MS + DEADLINE_MARGIN_MS) / 1000;

describe('queueBatchSize', () => {
  it.each([
    {
      label: 'the defaults',
      ceiling: DEFAULTS.rateLimitPerSecond,
      accounts: DEFAULTS.maxAccountsPerRequest,
      batch: 100,
    },
    { label: 'half the default ceiling', ceiling: 100, accounts: 1000, batch: 88 },
    { label: 'messages of at most 100 accounts at 20 calls/s', ceiling: 20, accounts: 100, batch: 100 },
    { label: 'a ceiling too low for even one largest message', ceiling: 1, accounts: 5000, batch: 1 },
  ])('hands $batch messages at once for $label', ({ ceiling, accounts, batch }) => {
    // Act / Assess
    expect(queueBatchSize(ceiling, accounts)).toBe(batch);
  });

  it('fits a batch of the largest messages in the function time at its share of any accepted ceiling', () => {
    fc.assert(
      fc.property(
        fc.integer(BOUNDS.rateLimitPerSecond),
        fc.integer(BOUNDS.maxAccountsPerRequest),
        (ceiling, accounts) => {
          // Act
          const batch = queueBatchSize(ceiling, accounts);

          // Assess: every batch of more than one message fits; a single message may not.
          expect(batch).toBeGreaterThanOrEqual(1);
          expect(batch).toBeLessThanOrEqual(QUEUE_BATCH_MAX);
          if (batch > 1) {
            const calls = Math.ceil((batch * accounts) / 100);
            expect(calls / (ceiling * QUEUE_CEILING_SHARE)).toBeLessThanOrEqual(SERVE_SECONDS);
          }
        },
      ),
    );
  });
});
