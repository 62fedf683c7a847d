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
}

export interface PortraitResult {
  /** Tencent's reply shape: accounts in first-seen order, `Fail_Account` only when some failed. */
  response: PortraitGetResponse;
  stats: ServeStats;
}
