import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { SQSRecord } from 'aws-lambda';
import type { GatewayConfig } from '../config.ts';
import { GatewayError, ResultTooLargeError } from '../errors.ts';
import { failureOf } from '../failure.ts';
import { METRIC } from '../metric-catalog.ts';
import { accountsThatFit } from '../portrait/accounts-that-fit.ts';
import { uniqueInOrder } from '../portrait/chunking.ts';
import { replyFor } from '../portrait/merge.ts';
import type { PortraitResult } from '../portrait/portrait-result.ts';
import type { PortraitService } from '../portrait/portrait-service.ts';
import { recordServeStats } from '../telemetry.ts';
import type {
  PortraitGetRequest,
  PortraitGetResponse,
  TencentEnvelope,
  UserProfileItem,
} from '../tencent/portrait-types.ts';
import { parseQueueMessage } from './queue-message.ts';
import type { ResultsPublisher } from './results-publisher.ts';

/** The part of the gateway the queue consumer uses. */
export interface BatchDeps {
  service: Pick<PortraitService, 'get'>;
  results: Pick<ResultsPublisher, 'publish' | 'maxMessageBytes'>;
  logger: Logger;
  metrics: Metrics;
  config: Pick<GatewayConfig, 'maxAccountsPerRequest'>;
}

/** When one batch's work must be over (epoch ms). */
export interface BatchDeadlines {
  /** The service must have answered by then: slot waits and upstream calls end here. */
  serveByMs: number;
  /** Publishing must be over by then: calls to the results queue still in flight are aborted. */
  publishByMs: number;
}

/** Whether a message is finished (its result accepted by the results queue) or must be delivered again. */
export type Verdict = { done: true } | { done: false; reason: string };

interface Pending {
  messageId: string;
  request: PortraitGetRequest;
  correlationId?: string;
}

interface Result {
  messageId: string;
  body: string;
}

/** Retrying can never help: the request itself is wrong (bad JSON, bad request, Tencent's 40009…). */
const isPermanent = (error: unknown): error is GatewayError =>
  error instanceof GatewayError && error.disposition === 'fatal-request';

const reasonOf = (error: unknown): string =>
  error instanceof GatewayError
    ? `${error.name} ${error.code}`
    : error instanceof Error
      ? error.name
      : 'unknown';

/** Messages asking for the same set of tags are served together, whatever order they name them in. */
const tagSetKey = (tags: readonly string[]): string => JSON.stringify(uniqueInOrder(tags).sort());

const withCorrelation = (envelope: TencentEnvelope, correlationId: string | undefined): string =>
  JSON.stringify(correlationId === undefined ? envelope : { ...envelope, CorrelationId: correlationId });

/** A queue result: Tencent's reply, and which of its accounts were answered stale (docs/api.md, "The queue"). */
type QueueReply = PortraitGetResponse & { StaleAccounts?: string[] };

/** The message's own reply out of a coalesced one: its accounts, its tag order, its stale accounts. */
function replyForMessage(message: Pending, served: PortraitResult): QueueReply {
  const position = new Map(message.request.TagList.map((tag, index) => [tag, index] as const));
  const items = new Map<string, UserProfileItem>();
  for (const item of served.response.UserProfileItem ?? []) {
    const ProfileItem = item.ProfileItem?.toSorted(
      (a, b) => (position.get(a.Tag) ?? 0) - (position.get(b.Tag) ?? 0),
    );
    items.set(item.To_Account, ProfileItem === undefined ? item : { ...item, ProfileItem });
  }
  const reply = replyFor(message.request.To_Account, items);
  const stale = new Set(served.stale);
  const StaleAccounts = uniqueInOrder(message.request.To_Account).filter((account) => stale.has(account));
  return StaleAccounts.length > 0 ? { ...reply, StaleAccounts } : reply;
}

/** Whether the failure the service answered around left one of the message's accounts with nothing to serve. */
const leftUnserved = (message: Pending, served: PortraitResult): boolean => {
  const unserved = new Set(served.failure?.accounts);
  return message.request.To_Account.some((account) => unserved.has(account));
};

/**
 * Serves one SQS batch (up to 100 messages) with as few upstream calls as possible (docs/api.md,
 * "The queue"): messages are grouped by their set of tags, each group's accounts fetched by ONE
 * service call, which fills calls of 100 across the messages, and the reply split back per message.
 * A message is answered once each of its accounts is (values served stale when Tencent could not
 * answer are listed in `StaleAccounts`); one that the service's failure left an account of
 * unserved is settled as that failure, so SQS retries it. When a group cannot be served whole for a transient reason, each of its
 * messages is tried once more against the cache alone (deadline now), so messages whose accounts are
 * cached, or were fetched before the failure, are still answered; that second try records no
 * metrics, since the group's own try already counted its accounts and any slot it was denied.
 * Results, and error results for messages that can never succeed (a result larger than the results
 * queue takes included), go to the results queue; a message is done only once its result was
 * accepted there.
 */
export async function serveBatch(
  records: readonly SQSRecord[],
  deps: BatchDeps,
  deadlines: BatchDeadlines,
): Promise<Map<string, Verdict>> {
  const { service, logger, metrics } = deps;
  const maxBytes = deps.results.maxMessageBytes;
  const limits = { maxAccounts: deps.config.maxAccountsPerRequest };
  const verdicts = new Map<string, Verdict>();
  const results: Result[] = [];
  const groups = new Map<string, Pending[]>();

  const refuse = (messageId: string, error: GatewayError, correlationId: string | undefined) => {
    logger.info('message refused', {
      messageId,
      correlationId,
      errorCode: error.code,
      errorInfo: error.message,
    });
    results.push({ messageId, body: withCorrelation(failureOf(error).envelope, correlationId) });
  };
  const postpone = (message: Pending, error: unknown) => {
    const reason = reasonOf(error);
    const details = { messageId: message.messageId, correlationId: message.correlationId, reason };
    if (error instanceof GatewayError) logger.warn('message left for a retry', details);
    else logger.error('message left for a retry', { ...details, error });
    verdicts.set(message.messageId, { done: false, reason });
  };
  const settle = (message: Pending, error: unknown) => {
    if (isPermanent(error)) refuse(message.messageId, error, message.correlationId);
    else postpone(message, error);
  };
  const answer = (message: Pending, served: PortraitResult) => {
    if (served.failure && leftUnserved(message, served)) {
      settle(message, served.failure.error);
      return;
    }
    const reply = replyForMessage(message, served);
    const encode = (envelope: QueueReply) => withCorrelation(envelope, message.correlationId);
    const body = encode(reply);
    const bytes = Buffer.byteLength(body, 'utf8');
    if (bytes <= maxBytes) {
      results.push({ messageId: message.messageId, body });
      return;
    }
    const fit = accountsThatFit(reply, encode, maxBytes);
    refuse(
      message.messageId,
      new ResultTooLargeError('one queue message', bytes, maxBytes, fit),
      message.correlationId,
    );
  };

  for (const record of records) {
    const message = parseQueueMessage(record.body, limits);
    if (!message.ok) {
      refuse(record.messageId, message.error, message.correlationId);
      continue;
    }
    const pending = {
      messageId: record.messageId,
      request: message.request,
      correlationId: message.correlationId,
    };
    const key = tagSetKey(message.request.TagList);
    groups.set(key, [...(groups.get(key) ?? []), pending]);
  }

  await Promise.all(
    [...groups.values()].map(async (group) => {
      const tags = (group[0] as Pending).request.TagList;
      try {
        const served = await service.get(
          group.flatMap((message) => message.request.To_Account),
          tags,
          { deadlineMs: deadlines.serveByMs, onStats: (stats) => recordServeStats(metrics, stats) },
        );
        for (const message of group) answer(message, served);
      } catch (error) {
        if (isPermanent(error) || group.length === 1) {
          for (const message of group) settle(message, error);
          return;
        }
        await Promise.all(
          group.map(async (message) => {
            try {
              const served = await service.get(message.request.To_Account, tags, {
                deadlineMs: Math.min(deadlines.serveByMs, Date.now()),
              });
              answer(message, served);
            } catch (salvageError) {
              settle(message, salvageError);
            }
          }),
        );
      }
    }),
  );

  const published = await deps.results.publish(
    results.map((result, index) => ({ id: `r${index}`, body: result.body })),
    { deadlineMs: deadlines.publishByMs },
  );
  results.forEach((result, index) => {
    const reason = published.get(`r${index}`);
    if (reason === undefined) {
      verdicts.set(result.messageId, { done: true });
      return;
    }
    logger.warn('result not accepted by the results queue; message left for a retry', {
      messageId: result.messageId,
      reason,
    });
    verdicts.set(result.messageId, { done: false, reason: `results queue: ${reason}` });
  });
  metrics.addMetric(
    METRIC.MessagesDone,
    MetricUnit.Count,
    [...verdicts.values()].filter((v) => v.done).length,
  );
  metrics.addMetric(
    METRIC.MessagesRetried,
    MetricUnit.Count,
    [...verdicts.values()].filter((v) => !v.done).length,
  );
  return verdicts;
}
