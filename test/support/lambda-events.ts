import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { buildApiGatewayEvent } from '../../infra/local/api-gateway-event.ts';

export interface HttpEventInput {
  /** A string is sent as is; anything else is JSON-encoded. Default: no body (`null`). */
  body?: unknown;
  headers?: Record<string, string>;
  method?: string;
  path?: string;
  isBase64Encoded?: boolean;
  requestId?: string;
}

/** An API Gateway REST proxy event as API Gateway builds it, for `POST /v4/profile/portrait_get` by default. */
export function apiGatewayEvent(input: HttpEventInput = {}): APIGatewayProxyEvent {
  const path = input.path ?? '/v4/profile/portrait_get';
  const body =
    input.body === undefined || input.body === null
      ? null
      : typeof input.body === 'string'
        ? input.body
        : JSON.stringify(input.body);
  return buildApiGatewayEvent(
    {
      method: input.method ?? 'POST',
      url: path,
      headers: Object.entries(input.headers ?? { 'Content-Type': 'application/json' }),
      body,
      ...(input.isBase64Encoded !== undefined && { isBase64Encoded: input.isBase64Encoded }),
    },
    { resource: path, stage: 'test', ...(input.requestId !== undefined && { requestId: input.requestId }) },
  );
}

export interface ContextInput {
  /** What `getRemainingTimeInMillis()` answers. Default 10 000 ms. */
  remainingMs?: number;
  functionName?: string;
}

/** A Lambda context whose remaining time stays fixed, so deadlines do not depend on the machine's speed. */
export function lambdaContext(input: ContextInput = {}): Context {
  const functionName = input.functionName ?? 'portrait-gateway-test';
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'loopback',
    getRemainingTimeInMillis: () => input.remainingMs ?? 10_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
