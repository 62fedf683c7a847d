import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { METRIC } from '../metric-catalog.ts';
import { errorResponse } from './error-response.ts';

/**
 * Middy middleware turning any error of the chain (body parsing, validation, the service) into the
 * Tencent-shaped reply of {@link errorResponse}. Server-side failures are logged with their stack;
 * refusals of the caller's request only with their code. It sets the response rather than returning
 * it, so the logger and metrics middlewares still run their own error handlers after it.
 */
export function errorResponder(
  logger: Logger,
  metrics: Metrics,
): MiddlewareObj<unknown, APIGatewayProxyResult> {
  return {
    onError: (request) => {
      const { statusCode, headers, body } = errorResponse(request.error);
      const summary = { statusCode, errorCode: body.ErrorCode, errorInfo: body.ErrorInfo };
      if (statusCode >= 500) {
        logger.error('request failed', { ...summary, error: request.error });
        metrics.addMetric(METRIC.ServerErrors, MetricUnit.Count, 1);
      } else {
        logger.info('request refused', summary);
        metrics.addMetric(METRIC.ClientErrors, MetricUnit.Count, 1);
      }
      request.response = { statusCode, headers, body: JSON.stringify(body) };
    },
  };
}
