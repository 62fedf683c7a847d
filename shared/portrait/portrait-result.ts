import type { GatewayError } from '../errors.ts';
import type { PortraitGetResponse } from '../tencent/portrait-types.ts';
import type { CachePolicy } from './ports.ts';

export interface GetOptions {
  /** Epoch ms by which the answer must be ready (the Lambda's remaining time less a margin). */
  deadlineMs: number;
  /** Default `{ mode: 'default' }`. */
  cache?: CachePolicy;
  /** Told how the request was served once it ends, whether it succeeded or threw (for metrics). */
  onStats?: (stats: ServeStats) => void;
}

/** How one request was served: the numbers behind `Server-Timing` and the metrics. */
export interface ServeStats {
  /** Unique accounts asked for. */
  accounts: number;
  cacheHits: number;
  cacheMisses: number;
  /** Upstream attempts made, retries included (each took a call slot). */
  upstreamCalls: number;
  /** Failed upstream attempts, by Tencent code (transport failures count as 60008). */
  upstreamErrors: Record<number, number>;
  /** Time spent waiting for call slots. */
  slotWaitMs: number;
  /** Times no slot could be had before the deadline. */
  slotDenied: number;
  /** Accounts answered with a stale cached value because Tencent could not answer (stale-if-error). */
  staleServed: number;
  /** Fresh cached accounts fetched anyway, picked for an early refresh. */
  earlyRefreshes: number;
  /** Accounts that waited for another request's fetch of them instead of calling (single flight). */
  flightsJoined: number;
  /** Fetched answers not known to be stored: the cache write ran out of the request's time, or failed. */
  cacheWritesDropped: number;
}

export interface PortraitResult {
  /** Tencent's reply shape: accounts in first-seen order, `Fail_Account` only when some failed. */
  response: PortraitGetResponse;
  stats: ServeStats;
  /** Accounts answered with a stale cached value (stale-if-error), in first-seen order. */
  stale: string[];
  /**
   * When Tencent could not answer and the cache answered instead: the failure, and the accounts it
   * left with nothing to serve (in `Fail_Account` with the failure's code).
   */
  failure?: { error: GatewayError; accounts: string[] };
}
