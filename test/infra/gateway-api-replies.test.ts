import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { AUTHENTICATION_FAILURES } from '../../infra/constructs/gateway-api.ts';
import { missingHandlers, synthGatewayStack } from '../support/gateway-stack.ts';

type Resource = { Type: string; Properties: Record<string, unknown> };

const missing = missingHandlers();
const skipped = missing.length > 0 ? ` (skipped: ${missing.join(', ')} not written yet)` : '';

/** What API Gateway puts in place of `$context.error.messageString`: a JSON string. */
const rendered = (template: string): unknown =>
  JSON.parse(
    template.replace('$context.error.messageString', JSON.stringify('Missing Authentication Token')),
  );

describe.skipIf(missing.length > 0)(`the REST API's own replies${skipped}`, () => {
  let resources: Resource[];
  const propsOf = (type: string) => resources.filter((r) => r.Type === type).map((r) => r.Properties);

  beforeAll(() => {
    const { template }: { template: Template } = synthGatewayStack();
    resources = Object.values(template.toJSON().Resources as Record<string, Resource>);
  });

  it('treats every media type as binary, so a compressed reply reaches the caller as bytes', () => {
    // Act
    const [api] = propsOf('AWS::ApiGateway::RestApi');

    // Assess
    expect(api?.BinaryMediaTypes).toEqual(['*/*']);
  });

  describe.each(AUTHENTICATION_FAILURES.map(({ type, code }) => ({ type: type.responseType, code })))(
    'the $type gateway response',
    ({ type, code }) => {
      it(`keeps API Gateway's 403 and says ${code} in Tencent's shape, not 40001`, () => {
        // Act
        const response = propsOf('AWS::ApiGateway::GatewayResponse').find((r) => r.ResponseType === type);
        const body = (response?.ResponseTemplates as Record<string, string> | undefined)?.[
          'application/json'
        ];

        // Assess
        expect(response?.StatusCode).toBeUndefined();
        expect(rendered(body ?? '')).toEqual({
          ActionStatus: 'FAIL',
          ErrorCode: code,
          ErrorInfo: 'Missing Authentication Token',
          ErrorDisplay: '',
        });
      });
    },
  );

  it('gives each authentication failure its own code', () => {
    // Act
    const codes = AUTHENTICATION_FAILURES.map(({ code }) => code);

    // Assess
    expect(new Set(codes).size).toBe(codes.length);
    expect(codes).not.toContain(40001);
  });
});
