import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { ConfigError } from '../errors.ts';
import { invocationDeadline } from '../invocation-deadline.ts';
import { variableProblem } from '../variable-problem.ts';
import { PUBLISH_BUDGET_MS } from './results-publisher.ts';
import { type BatchDeps, serveBatch } from './serve-batch.ts';

/** A message whose result could not be published yet; SQS delivers it again (and at last to the DLQ). */
export class MessageNotDoneError extends Error {
  override readonly name = 'MessageNotDoneError';
}

/** The consumer's dependencies; `results` is checked at creation. */
export type QueueHandlerDeps = Omit<BatchDeps, 'results'> & { results: BatchDeps['results'] | undefined };

/**
 * The SQS consumer: serves the batch coalesced (see {@link serveBatch}), then reports every message
 * not done in `batchItemFailures` through Powertools' partial batch response. A batch where nothing
 * could be done is reported the same way rather than thrown, so SQS retries exactly those messages.
 * The service gets the invocation's time less the usual margin and less {@link PUBLISH_BUDGET_MS}:
 * results are published, and the batch answered, even when waiting for slots ran to its deadline;
 * a publish still unfinished at the margin is cut short and its messages retried. Otherwise the
 * Lambda timeout would fail the whole batch and results already published would be sent again.
 * Throws {@link ConfigError} at once when there is no results queue to publish to.
 */
export function createPortraitQueueHandler(gateway: QueueHandlerDeps) {
  const { logger, metrics, results } = gateway;
  if (results === undefined) {
    throw new ConfigError(
      variableProblem('RESULTS_QUEUE_URL', undefined, 'set it to the URL of the queue the results go to'),
    );
  }
  const deps: BatchDeps = { ...gateway, results };

  const consume = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    const publishByMs = invocationDeadline(context);
    const serveByMs = publishByMs - PUBLISH_BUDGET_MS;
    const verdicts = await serveBatch(event.Records, deps, { serveByMs, publishByMs });
    const settled = (record: SQSRecord) => {
      const verdict = verdicts.get(record.messageId);
      if (!verdict?.done) throw new MessageNotDoneError(verdict?.reason ?? 'not served');
    };
    // A processor per invocation: it holds the batch's state, and the local server may overlap invocations.
    const processor = new BatchProcessor(EventType.SQS, { logger });
    return processPartialResponse(event, settled, processor, { context, throwOnFullBatchFailure: false });
  };

  return middy(consume)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics, { captureColdStartMetric: true }));
}
