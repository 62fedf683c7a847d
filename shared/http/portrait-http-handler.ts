import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { GatewayConfig } from '../config.ts';
import { invocationDeadline } from '../invocation-deadline.ts';
import { parsePortraitRequest } from '../portrait/portrait-request.ts';
import type { PortraitService } from '../portrait/portrait-service.ts';
import { recordServeStats } from '../telemetry.ts';
import { acceptsGzip } from './accept-encoding.ts';
import { bodySizeLimit } from './body-size-limit.ts';
import { cachePolicyFrom } from './cache-control.ts';
import { errorResponder } from './error-responder.ts';
import { JSON_CONTENT_TYPE } from './error-response.ts';
import { lambdaReply } from './lambda-reply.ts';
import { serveHeaders } from './serve-headers.ts';

/**
 * API Gateway REST's integration timeout: 29 s. A Lambda allowed to run longer would still be cut
 * off by API Gateway with a bare 504, so the time budget never exceeds it.
 */
export const API_GATEWAY_TIMEOUT_MS = 29_000;

/** Every line of a request header, as one list (API Gateway keeps only the last in `headers`). */
const headerOf = (event: APIGatewayProxyEvent, name: string): string | undefined =>
  event.multiValueHeaders?.[name]?.join(',') ?? event.headers?.[name];

/** The part of the gateway the HTTP handler uses. */
export interface HttpHandlerDeps {
  service: Pick<PortraitService, 'get'>;
  logger: Logger;
  metrics: Metrics;
  config: Pick<GatewayConfig, 'maxAccountsPerRequest'>;
}

/**
 * The drop-in `POST /v4/profile/portrait_get` (API Gateway REST proxy): Tencent's body in,
 * Tencent's reply out, plus headers that say how it was served. Any content type is read as JSON,
 * as Tencent does, base64-encoded or not; the reply is gzip-compressed for a caller that accepts it,
 * and one too large for a Lambda response is refused with 413 after what was fetched is cached
 * (`lambdaReply`); every failure becomes the Tencent-shaped reply of `errorResponse`.
 */
export function createPortraitHttpHandler(deps: HttpHandlerDeps) {
  const { service, logger, metrics, config } = deps;
  const limits = { maxAccounts: config.maxAccountsPerRequest };

  const serve = async (event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> => {
    const started = performance.now();
    const request = parsePortraitRequest(event.body as unknown, limits);
    const result = await service.get(request.To_Account, request.TagList, {
      deadlineMs: invocationDeadline(context, { capMs: API_GATEWAY_TIMEOUT_MS }),
      cache: cachePolicyFrom(headerOf(event, 'cache-control')),
      onStats: (stats) => recordServeStats(metrics, stats),
    });
    logger.info('served', { ...result.stats });
    return lambdaReply(result.response, {
      headers: {
        'Content-Type': JSON_CONTENT_TYPE,
        ...serveHeaders(result.stats, performance.now() - started),
      },
      gzip: acceptsGzip(headerOf(event, 'accept-encoding')),
    });
  };

  return middy(serve)
    .use(injectLambdaContext(logger, { correlationIdPath: 'requestContext.requestId', resetKeys: true }))
    .use(logMetrics(metrics, { captureColdStartMetric: true }))
    .use(httpHeaderNormalizer())
    .use(bodySizeLimit())
    .use(httpJsonBodyParser({ disableContentTypeCheck: true }))
    .use(errorResponder(logger, metrics));
}
