import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { CallbackReceiver } from '../callback/callback-receiver.ts';
import { JSON_CONTENT_TYPE, retryAfterSeconds } from './error-response.ts';

/** The part of the gateway the webhook handler uses. */
export interface CallbackHandlerDeps {
  receiver: Pick<CallbackReceiver, 'receive'>;
  logger: Logger;
  metrics: Metrics;
}

/** The body's size in bytes, without decoding it: API Gateway hands bodies over base64-encoded. */
const bodyBytesOf = (event: APIGatewayProxyEvent): number =>
  event.body === null ? 0 : Buffer.byteLength(event.body, event.isBase64Encoded ? 'base64' : 'utf8');

/** The raw body Tencent posted, as text. */
const bodyOf = (event: APIGatewayProxyEvent): string => {
  if (event.body === null) return '';
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
};

/**
 * `POST /tencent-im/callback` (API Gateway REST proxy, no IAM: Tencent signs with its callback
 * token instead, checked by the receiver). The reply is always Tencent's webhook shape.
 */
export function createCallbackHttpHandler(deps: CallbackHandlerDeps) {
  const { receiver, logger, metrics } = deps;

  const serve = async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
    const query = event.queryStringParameters ?? {};
    const reply = await receiver.receive({
      query: { SdkAppid: query.SdkAppid, RequestTime: query.RequestTime, Sign: query.Sign },
      bodyBytes: bodyBytesOf(event),
      body: () => bodyOf(event),
    });
    return {
      statusCode: reply.statusCode,
      headers: {
        'Content-Type': JSON_CONTENT_TYPE,
        ...(reply.retryAfterMs !== undefined && { 'Retry-After': retryAfterSeconds(reply.retryAfterMs) }),
      },
      body: JSON.stringify(reply.body),
    };
  };

  return middy(serve)
    .use(injectLambdaContext(logger, { correlationIdPath: 'requestContext.requestId', resetKeys: true }))
    .use(logMetrics(metrics, { captureColdStartMetric: true }));
}
