import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, Context, SQSEvent, SQSRecord } from 'aws-lambda';

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
  const method = input.method ?? 'POST';
  const path = input.path ?? '/v4/profile/portrait_get';
  const headers = input.headers ?? { 'Content-Type': 'application/json' };
  const body =
    input.body === undefined || input.body === null
      ? null
      : typeof input.body === 'string'
        ? input.body
        : JSON.stringify(input.body);
  const requestId = input.requestId ?? randomUUID();
  return {
    resource: path,
    path,
    httpMethod: method,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body,
    isBase64Encoded: input.isBase64Encoded ?? false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'loopback',
      authorizer: null,
      protocol: 'HTTP/1.1',
      httpMethod: method,
      identity: {
        accessKey: null,
        accountId: '000000000000',
        apiKey: null,
        apiKeyId: null,
        caller: 'AIDALOOPBACK',
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: '127.0.0.1',
        user: 'AIDALOOPBACK',
        userAgent: 'vitest',
        userArn: 'arn:aws:iam::000000000000:user/loopback',
      },
      path: `/test${path}`,
      stage: 'test',
      requestId,
      requestTimeEpoch: Date.now(),
      resourceId: 'loopback',
      resourcePath: path,
    },
  };
}

export interface SqsMessageInput {
  /** A string is sent as is; anything else is JSON-encoded. */
  body: unknown;
  messageId?: string;
}

/** An SQS event of these messages, in order; each gets a fresh message id unless one is given. */
export function sqsEvent(messages: readonly (SqsMessageInput | string)[]): SQSEvent {
  const Records = messages.map((message): SQSRecord => {
    const { body, messageId } =
      typeof message === 'string' ? { body: message, messageId: undefined } : message;
    return {
      messageId: messageId ?? randomUUID(),
      receiptHandle: randomUUID(),
      body: typeof body === 'string' ? body : JSON.stringify(body),
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: String(Date.now()),
        SenderId: 'AIDALOOPBACK',
        ApproximateFirstReceiveTimestamp: String(Date.now()),
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:requests',
      awsRegion: 'us-east-1',
    };
  });
  return { Records };
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
