/**
 * The API's routes and their functions' timeouts, in a module light enough for the local server
 * (no aws-cdk-lib): the stack and `npm start` serve the same paths from this one table.
 *
 * Timeouts: Tencent gives up on a call after 3 s, so one upstream attempt is bounded at ~4 s and a
 * retried one at ~8 s. HTTP: 15 s covers a slot wait, a retried call and the cache, and stays far
 * under API Gateway's 29 s, so even a slow invocation answers with its own Tencent-shaped reply
 * instead of the gateway's 504. Queue: 60 s for a coalesced batch (up to 100 messages of up to 1000
 * accounts each, 1000 calls: 5 s of the whole ceiling, 30 s of the sixth the queue instances take
 * at most): about 53 s to serve it, waiting for slots, and 7 s kept for publishing results; a lower
 * ceiling gets smaller batches (`queue-batch.ts`). What is not served by then is retried by SQS,
 * and what was fetched is cached meanwhile. Callback:
 * Tencent waits 2 s for the reply; 5 s lets a cold start that reads the secret still apply the
 * cache change.
 */
export const FUNCTION_TIMEOUT_SECONDS = { http: 15, queue: 60, callback: 5 } as const;

/**
 * Each function's memory (MB), which also sets its CPU share and its price per millisecond
 * (docs/costs.md). The callback does one small write per change and needs less.
 */
export const FUNCTION_MEMORY_MB = { http: 1024, queue: 1024, callback: 512 } as const;

/** The paths the API serves, without a stage prefix (docs/architecture.md, "Overview"). */
export const API_PATHS = {
  portraitGet: 'v4/profile/portrait_get',
  callback: 'tencent-im/callback',
} as const;

/** Each HTTP route, the function entry behind it (relative to the repository root) and its timeout. */
export const API_ROUTES = [
  { method: 'POST', path: API_PATHS.portraitGet, entry: 'functions/http.ts', fn: 'http' },
  { method: 'POST', path: API_PATHS.callback, entry: 'functions/callback.ts', fn: 'callback' },
] as const;

/**
 * The media types API Gateway treats as binary: all of them. A reply the HTTP function compressed
 * (docs/api.md, "Large replies") is base64 in the Lambda response, and API Gateway decodes it only
 * when the request's first `Accept` type is listed here; a caller may accept anything. The price:
 * every request body reaches the functions base64-encoded (`isBase64Encoded`), locally as deployed.
 */
export const BINARY_MEDIA_TYPES: readonly string[] = ['*/*'];
