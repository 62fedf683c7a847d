import type { Context } from 'aws-lambda';

/**
 * Time kept back from the Lambda's remaining time: one second, enough to encode the answer, flush
 * logs and metrics, and still reply 429/502 cleanly instead of being cut off by the Lambda timeout.
 */
export const DEADLINE_MARGIN_MS = 1_000;

export interface DeadlineOptions {
  /** Default {@link DEADLINE_MARGIN_MS}. */
  marginMs?: number;
  /** A further bound on the time budget, e.g. API Gateway's integration timeout. */
  capMs?: number;
  /** The clock in epoch milliseconds. Default `Date.now`. */
  now?: () => number;
}

/** The epoch ms by which this invocation's work must be done: the remaining time less the margin. */
export function invocationDeadline(
  context: Pick<Context, 'getRemainingTimeInMillis'>,
  options: DeadlineOptions = {},
): number {
  const budgetMs = Math.min(context.getRemainingTimeInMillis(), options.capMs ?? Number.POSITIVE_INFINITY);
  return (options.now ?? Date.now)() + budgetMs - (options.marginMs ?? DEADLINE_MARGIN_MS);
}
