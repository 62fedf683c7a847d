import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';

/** What the local server knows about the function it plays. */
export interface FunctionSettings {
  functionName: string;
  /** The function's configured timeout (infra/api-routes.ts: 15 s for the HTTP function). */
  timeoutMs: number;
  /** Default 1024, only reported. */
  memoryLimitInMB?: number;
}

/** A local stand-in for the runtime's `Context` when the runtime's callbacks are used: unsupported. */
export class UnsupportedContextCallError extends Error {
  override readonly name = 'UnsupportedContextCallError';
}

const unsupported = (method: string) => () => {
  throw new UnsupportedContextCallError(
    `context.${method}() is not supported: Node 24 Lambda handlers must be async and return their result`,
  );
};

/**
 * A Lambda-like context for one invocation started at `startedAt` (epoch ms, default now):
 * `getRemainingTimeInMillis()` counts down from the function's timeout, never below 0.
 */
export function lambdaContext(
  settings: FunctionSettings,
  startedAt: number = Date.now(),
  now: () => number = Date.now,
): Context {
  const { functionName, timeoutMs } = settings;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: String(settings.memoryLimitInMB ?? 1024),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/[$LATEST]${randomUUID().replaceAll('-', '')}`,
    getRemainingTimeInMillis: () => Math.max(0, startedAt + timeoutMs - now()),
    done: unsupported('done'),
    fail: unsupported('fail'),
    succeed: unsupported('succeed'),
  };
}
