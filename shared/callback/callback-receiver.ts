import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { type Dependency, DependencyError } from '../errors.ts';
import { failEnvelope, failureOf } from '../failure.ts';
import { METRIC } from '../metric-catalog.ts';
import type { CredentialsProvider } from '../portrait/ports.ts';
import { type CallbackQuery, type CallbackRejection, verifyCallback } from '../tencent/callback-signature.ts';
import type { ProfileItem, TencentEnvelope } from '../tencent/portrait-types.ts';
import {
  cacheableChanges,
  MAX_CALLBACK_BODY_BYTES,
  type PortraitSet,
  parseCallbackBody,
  type RequestOverLimit,
} from './callback-commands.ts';
import { type EventTimeBounds, type EventTimeProblem, eventTimeProblem } from './event-time.ts';
import { LogThrottle } from './log-throttle.ts';

export interface CallbackReply {
  statusCode: 200 | 401 | 403 | 503;
  /** Tencent's webhook reply; anything but `ActionStatus: OK` counts as a failed delivery on its side. */
  body: TencentEnvelope;
  /** With a 503: when the failing dependency is likely back. */
  retryAfterMs?: number;
}

/** One webhook call as Tencent sends it: the URL parameters and the body. */
export interface CallbackRequest {
  query: CallbackQuery;
  /** The body's size in bytes, known before it is decoded. */
  bodyBytes: number;
  /** The raw body as text, decoded on demand: a body over the limit never is. */
  body: () => string;
}

/**
 * The part of the profile cache a webhook writes to (`DynamoProfileCache` has it): the changed tags
 * of an account that is cached, each kept only where its cached value is older than `eventTimeMs`;
 * never an item for an account that is not cached. Resolves to the number of tags applied; throws
 * when the table fails.
 */
export interface ProfileChangeTarget {
  applyChanges(
    sdkAppId: number,
    account: string,
    changes: readonly ProfileItem[],
    eventTimeMs: number,
    signal?: AbortSignal,
    forget?: readonly string[],
  ): Promise<number>;
}

export interface CallbackReceiverDeps {
  credentials: CredentialsProvider;
  cache: ProfileChangeTarget;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  metrics: Pick<Metrics, 'addMetric' | 'addMetadata'>;
  /** Epoch ms, for the `RequestTime` and `EventTime` checks. Default `Date.now`. */
  now?: () => number;
  /**
   * The most one webhook may spend on the secret and the table together. Default
   * {@link DEFAULT_CALLBACK_BUDGET_MS}: Tencent gives up after 2 s, and a cold start and API
   * Gateway take their share of that before the handler runs.
   */
  budgetMs?: number;
}

export const DEFAULT_CALLBACK_BUDGET_MS = 800;

/** Why a verified webhook changed nothing; the `reason` metadata of the `CallbackIgnored` metric. */
export type IgnoredReason = 'too-large' | 'malformed' | 'unused-command' | EventTimeProblem;

const OK: TencentEnvelope = { ActionStatus: 'OK', ErrorInfo: '', ErrorCode: 0 };

/**
 * The refusals, Tencent-shaped with the codes Tencent itself uses for a wrong SDKAppID (60006) and a
 * wrong signature (60005). A missing token is the gateway's configuration, hence 403 like a foreign
 * app; a missing, wrong or stale signature is a failed authentication, hence 401.
 */
const REFUSALS: Record<CallbackRejection, CallbackReply> = {
  'no-token': refusal(
    403,
    60005,
    'webhooks are not enabled on this gateway: no callback token is configured',
  ),
  'wrong-app': refusal(403, 60006, 'SdkAppid is not the app this gateway serves'),
  unsigned: refusal(401, 60005, 'Sign and RequestTime are required: turn on callback token authentication'),
  'bad-signature': refusal(401, 60005, 'Sign does not match the callback token'),
  stale: refusal(401, 60005, 'RequestTime is more than a minute away from the gateway clock'),
};

function refusal(statusCode: 401 | 403, code: number, info: string): CallbackReply {
  return { statusCode, body: failEnvelope(code, info) };
}

/** The most characters of one caller-controlled text in a log line or a metric dimension. */
const MAX_LOGGED_CHARS = 64;

/**
 * Query values and body strings are the caller's: logged cut short, saying by how much, so a hostile
 * request cannot flood the logs (a 1 MB `Command` once made a 2 MB log line).
 */
const clip = <T extends string | undefined>(value: T, max = MAX_LOGGED_CHARS): T =>
  (value !== undefined && value.length > max
    ? `${value.slice(0, max)}…(${value.length - max} more)`
    : value) as T;

/** Settles with `work`, or rejects with a {@link DependencyError} once `signal` aborts. */
function within<T>(work: Promise<T>, signal: AbortSignal, dependency: Dependency): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () =>
      reject(
        new DependencyError(dependency, `the ${dependency} did not answer within the webhook's budget`, {
          cause: signal.reason,
        }),
      );
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/**
 * Tencent's webhooks (docs/tencent.md, "Webhooks"; docs/webhooks.md): verifies the token signature, then keeps the
 * cache coherent on `Profile.CallbackPortraitSet` and reports `Alert.RequestOverLimit`. Every
 * verified call is acknowledged with `ActionStatus: OK`, even when the cache could not be updated:
 * Tencent cannot do anything better with a failure, and the cached value still expires with its TTL.
 *
 * Tencent's signature covers the URL (token + `RequestTime`), not the body, so whoever sees one
 * signed URL can post any body to it within the minute: a change whose `EventTime` is ahead of the
 * gateway's clock or of its own `RequestTime` is ignored (see {@link eventTimeProblem}), and a value
 * that does not fit its tag is dropped (see `valueProblem`). Both are still acknowledged, like any
 * verified call: a refusal would only show as a failed delivery on Tencent's side.
 *
 * Profile changes are applied, not invalidated: the next read is then a cache hit with the new value
 * and costs no call under the 200/s ceiling, and ordering by `EventTime` (a conditional write in
 * the cache) makes a late, older event harmless. Invalidation would also be order-safe, but every
 * profile change would turn the next read of that user into an upstream call.
 */
export class CallbackReceiver {
  readonly #deps: Required<CallbackReceiverDeps>;
  /** One `Alert.RequestOverLimit` line a minute per API: Tencent repeats the alert while near a ceiling. */
  readonly #overLimitLines = new LogThrottle();

  constructor(deps: CallbackReceiverDeps) {
    this.#deps = { now: Date.now, budgetMs: DEFAULT_CALLBACK_BUDGET_MS, ...deps };
  }

  /** Answers one webhook call; never throws. */
  async receive(request: CallbackRequest): Promise<CallbackReply> {
    const { logger, credentials, now, budgetMs } = this.#deps;
    const budget = AbortSignal.timeout(budgetMs);
    let secret: Awaited<ReturnType<CredentialsProvider['get']>>;
    try {
      secret = await within(credentials.get(), budget, 'secret');
    } catch (error) {
      this.#countRejection('credentials-unavailable');
      logger.error('webhook refused: the credentials could not be read', { error });
      const { envelope, retryAfterMs } = failureOf(error);
      return { statusCode: 503, body: envelope, ...(retryAfterMs !== undefined && { retryAfterMs }) };
    }
    const nowMs = now();
    const verdict = verifyCallback(request.query, secret, { nowMs });
    if (!verdict.ok) return this.#reject(verdict.reason, request.query);
    if (request.bodyBytes > MAX_CALLBACK_BODY_BYTES) {
      this.#countIgnored('too-large');
      logger.warn('webhook ignored: its body is larger than any the gateway uses', {
        bytes: request.bodyBytes,
        limit: MAX_CALLBACK_BODY_BYTES,
      });
      return { statusCode: 200, body: OK };
    }

    const command = parseCallbackBody(request.body());
    switch (command.kind) {
      case 'portrait-set': {
        // verifyCallback accepted RequestTime: a string of digits.
        const clock = { requestTimeSeconds: Number(request.query.RequestTime), nowMs };
        await this.#applyPortraitSet(secret.sdkAppId, command.event, clock, budget);
        break;
      }
      case 'request-over-limit':
        this.#reportOverLimit(command.alert);
        break;
      case 'malformed':
        this.#countIgnored('malformed');
        logger.warn('webhook ignored: its body cannot be read', {
          command: clip(command.command),
          problem: clip(command.problem, 4 * MAX_LOGGED_CHARS),
        });
        break;
      case 'other':
        this.#countIgnored('unused-command');
        logger.info('webhook ignored: the gateway has no use for this command', {
          command: clip(command.command),
        });
        break;
    }
    return { statusCode: 200, body: OK };
  }

  #countIgnored(reason: IgnoredReason): void {
    this.#deps.metrics.addMetadata('reason', reason);
    this.#deps.metrics.addMetric(METRIC.CallbackIgnored, MetricUnit.Count, 1);
  }

  #countRejection(reason: CallbackRejection | 'credentials-unavailable'): void {
    this.#deps.metrics.addMetadata('reason', reason);
    this.#deps.metrics.addMetric(METRIC.CallbackRejected, MetricUnit.Count, 1);
  }

  #reject(reason: CallbackRejection, query: CallbackQuery): CallbackReply {
    const { logger } = this.#deps;
    this.#countRejection(reason);
    const context = { reason, sdkAppId: clip(query.SdkAppid), requestTime: clip(query.RequestTime) };
    if (reason === 'no-token') {
      logger.error(
        'webhook refused: no callback token is configured (TIM_CALLBACK_TOKEN locally, the secret field callbackToken in AWS)',
        context,
      );
    } else {
      logger.warn('webhook refused', context);
    }
    return REFUSALS[reason];
  }

  async #applyPortraitSet(
    sdkAppId: number,
    event: PortraitSet,
    clock: EventTimeBounds,
    budget: AbortSignal,
  ): Promise<void> {
    const { cache, logger, metrics } = this.#deps;
    const timeProblem = eventTimeProblem(event.EventTime, clock);
    if (timeProblem !== undefined) {
      this.#countIgnored(timeProblem);
      logger.warn(
        'profile change ignored: its EventTime is ahead of the gateway clock or of its RequestTime',
        {
          reason: timeProblem,
          account: event.From_Account,
          eventTime: event.EventTime,
          requestTime: clock.requestTimeSeconds,
          now: clock.nowMs,
        },
      );
      return;
    }
    const { changes, dropped, ignored } = cacheableChanges(event.ProfileItem);
    const context = {
      account: event.From_Account,
      tags: changes.map((change) => change.Tag),
      eventTime: event.EventTime,
    };
    if (ignored > 0) {
      metrics.addMetric(METRIC.ProfileChangesIgnored, MetricUnit.Count, ignored);
      logger.warn('profile change: custom tags past the most an app can define are ignored', {
        ...context,
        ignored,
      });
    }
    const forget = dropped.map((drop) => drop.Tag);
    if (dropped.length > 0) {
      metrics.addMetric(METRIC.ProfileChangesDropped, MetricUnit.Count, dropped.length);
      logger.warn(
        'profile change: values that do not fit their tag are not cached; older cached ones are removed',
        {
          ...context,
          dropped,
        },
      );
    }
    if (changes.length === 0 && forget.length === 0) {
      metrics.addMetric(METRIC.ProfileChangesApplied, MetricUnit.Count, 0);
      logger.info('profile change ignored: none of its tags can be cached', context);
      return;
    }
    try {
      const applied = await within(
        cache.applyChanges(sdkAppId, event.From_Account, changes, event.EventTime, budget, forget),
        budget,
        'table',
      );
      metrics.addMetric(METRIC.ProfileChangesApplied, MetricUnit.Count, applied);
      logger.info('profile change received; tags not cached or cached newer are left as they are', {
        ...context,
        applied,
      });
    } catch (error) {
      metrics.addMetric(METRIC.CallbackCacheUpdateFailed, MetricUnit.Count, 1);
      // A write already sent when the budget ran out is not aborted (no listener per write on the
      // budget's signal) and may still land; being stamped, it can only bring a newer value.
      logger.error(
        'profile change not applied in full: tags not written keep their cached value until it expires',
        {
          ...context,
          error,
        },
      );
    }
  }

  /** Counts every alert; logs the first of an API and then at most one a minute, with the count. */
  #reportOverLimit(alert: RequestOverLimit): void {
    const { logger, metrics, now } = this.#deps;
    const command = clip(alert.Command);
    const api = alert.ServiceName === undefined ? command : `${clip(alert.ServiceName)}/${command}`;
    metrics.addMetadata('api', api);
    metrics.addMetric(METRIC.RequestOverLimit, MetricUnit.Count, 1);
    const alerts = this.#overLimitLines.admit(api, now());
    if (alerts === undefined) return;
    logger.warn(
      `Tencent reports ${api} at ${alert.Request} calls/s against its ceiling of ${alert.Limit}/s ` +
        `(${alerts} alert${alerts === 1 ? '' : 's'} since the last line of this API)`,
      { api, request: alert.Request, limit: alert.Limit, alerts },
    );
  }
}
