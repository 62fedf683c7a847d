import { DEADLINE_MARGIN_MS } from '../shared/invocation-deadline.ts';
import { PUBLISH_BUDGET_MS } from '../shared/queue/results-publisher.ts';
import { TENCENT_MAX_ACCOUNTS } from '../shared/tencent/limits.ts';
import { FUNCTION_TIMEOUT_SECONDS } from './api-routes.ts';

/**
 * The most messages one queue invocation is handed: Tencent's 100 accounts per call, should each
 * message ask for one, so that 100 such messages cost one call (docs/api.md, "The queue").
 */
export const QUEUE_BATCH_MAX = 100;

/**
 * The share of the ceiling the queue's instances take: ten reserved instances, each coalescing a
 * batch into a few calls, take roughly a sixth (docs/operations.md, "Why these numbers").
 */
export const QUEUE_CEILING_SHARE = 1 / 6;

/**
 * Messages per queue invocation for a ceiling of `rateLimitPerSecond` and messages of up to
 * `maxAccountsPerRequest` accounts: {@link QUEUE_BATCH_MAX}, or fewer when a batch of the largest
 * messages could not be fetched within the queue function's time at {@link QUEUE_CEILING_SHARE} of
 * the ceiling (its timeout less the publish budget and the deadline margin); at least one message.
 * At the defaults (200/s, 1000 accounts) a full batch is 1000 calls in 53 s of 33 calls/s: 100.
 */
export function queueBatchSize(rateLimitPerSecond: number, maxAccountsPerRequest: number): number {
  const serveSeconds = FUNCTION_TIMEOUT_SECONDS.queue - (PUBLISH_BUDGET_MS + DEADLINE_MARGIN_MS) / 1000;
  const calls = Math.floor(serveSeconds * rateLimitPerSecond * QUEUE_CEILING_SHARE);
  const messages = Math.floor((calls * TENCENT_MAX_ACCOUNTS) / maxAccountsPerRequest);
  return Math.max(1, Math.min(QUEUE_BATCH_MAX, messages));
}
