/**
 * From operations measured per request to units and dollars per million profile reads: the formula of
 * docs/costs.md, "Formula", with the list prices it states. Pure: re-run `npm run bench` after a change
 * to the code and these tables follow the new operation counts.
 */

/**
 * On-demand list prices, US East (N. Virginia), looked up on 2026-11-29 (sources in docs/costs.md,
 * "Prices"). Free tiers and volume tiers are left out.
 */
export const LIST_PRICES = {
  asOf: '2026-11-29',
  region: 'us-east-1',
  /** Lambda, Arm: per GB-second of duration, and per million requests. */
  lambdaPerGbSecond: 0.000_013_333_4,
  lambdaPerMillionRequests: 0.2,
  /** API Gateway REST API, first 333 million requests a month. */
  apiPerMillionRequests: 3.5,
  /** DynamoDB on demand: per million read and write request units. */
  dynamoPerMillionReadUnits: 0.125,
  dynamoPerMillionWriteUnits: 0.625,
  /** SQS standard queue, per million requests (each 64 KiB of a request's payload is one). */
  sqsPerMillionRequests: 0.4,
} as const;

/**
 * Tencent's round trip per upstream call that the Lambda function waits for, added to the time
 * measured on loopback: 0.1 s near the data center, 0.3 s across continents (docs/costs.md).
 */
export const UPSTREAM_ROUND_TRIP_MS = 200;

/** SQS bills each 64 KiB of a request's payload as one request. */
export const SQS_BILLING_CHUNK_BYTES = 64 * 1024;

/** What one measured scenario did, in totals over its run. */
export interface MeasuredRun {
  /** Accounts asked for over the run (the profile reads). */
  accounts: number;
  /** HTTP requests through API Gateway (0 on the queue path). */
  apiRequests: number;
  /** Lambda invocations. */
  invocations: number;
  /** Each invocation's duration rounded up to the millisecond, summed. */
  billedMs: number;
  /** Memory of the function, MB. */
  memoryMb: number;
  upstreamCalls: number;
  readUnits: number;
  writeUnits: number;
  /** SQS requests as billed (64 KiB chunks), 0 on the HTTP path. */
  sqsRequests: number;
}

/** Units and dollars for a million profile reads. */
export interface PerMillionProfiles {
  lambdaGbSeconds: number;
  lambdaRequests: number;
  apiRequests: number;
  readUnits: number;
  writeUnits: number;
  sqsRequests: number;
  dollars: {
    lambda: number;
    api: number;
    dynamo: number;
    sqs: number;
    total: number;
  };
}

/**
 * Scales a run to a million profile reads. Lambda time is what was measured on loopback plus
 * {@link UPSTREAM_ROUND_TRIP_MS} per upstream call (an upper bound where calls run in parallel).
 */
export function perMillionProfiles(
  run: MeasuredRun,
  roundTripMs = UPSTREAM_ROUND_TRIP_MS,
): PerMillionProfiles {
  const scale = 1_000_000 / run.accounts;
  const p = LIST_PRICES;
  const lambdaGbSeconds =
    ((run.billedMs + roundTripMs * run.upstreamCalls) / 1000) * (run.memoryMb / 1024) * scale;
  const lambdaRequests = run.invocations * scale;
  const apiRequests = run.apiRequests * scale;
  const readUnits = run.readUnits * scale;
  const writeUnits = run.writeUnits * scale;
  const sqsRequests = run.sqsRequests * scale;
  const lambda = lambdaGbSeconds * p.lambdaPerGbSecond + (lambdaRequests / 1e6) * p.lambdaPerMillionRequests;
  const api = (apiRequests / 1e6) * p.apiPerMillionRequests;
  const dynamo =
    (readUnits / 1e6) * p.dynamoPerMillionReadUnits + (writeUnits / 1e6) * p.dynamoPerMillionWriteUnits;
  const sqs = (sqsRequests / 1e6) * p.sqsPerMillionRequests;
  return {
    lambdaGbSeconds,
    lambdaRequests,
    apiRequests,
    readUnits,
    writeUnits,
    sqsRequests,
    dollars: { lambda, api, dynamo, sqs, total: lambda + api + dynamo + sqs },
  };
}

/** SQS requests as billed for one API call carrying `bytes` of payload. */
export const sqsBilledRequests = (bytes: number): number =>
  Math.max(1, Math.ceil(bytes / SQS_BILLING_CHUNK_BYTES));
