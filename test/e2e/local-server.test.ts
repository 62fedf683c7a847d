import { request as httpRequest } from 'node:http';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { isBinaryMediaType } from '../../infra/local/api-gateway-event.ts';
import { LocalServer, type ProxyHandler } from '../../infra/local/local-server.ts';
import { LAMBDA_RESPONSE_MAX_BYTES } from '../../shared/http/lambda-reply.ts';

const PATH = '/v4/profile/portrait_get';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface Invocation {
  event: APIGatewayProxyEvent;
  context: Context;
  remainingMs: number;
}

let server: LocalServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A server with one POST route whose handler records each invocation and answers `reply`. */
async function serve(
  reply: (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult> | APIGatewayProxyResult = () => ({
    statusCode: 200,
    body: '{}',
  }),
  options: { timeoutMs?: number; log?: (line: string) => void } = {},
): Promise<{ url: string; invocations: Invocation[] }> {
  const invocations: Invocation[] = [];
  const handler: ProxyHandler = async (event, context) => {
    invocations.push({ event, context, remainingMs: context.getRemainingTimeInMillis() });
    return reply(event);
  };
  server = await LocalServer.start({
    port: 0,
    routes: [
      {
        method: 'POST',
        path: PATH,
        handler,
        function: { functionName: 'http', timeoutMs: options.timeoutMs ?? 10_000 },
      },
    ],
    log: options.log ?? (() => undefined),
  });
  return { url: server.url, invocations };
}

/** A raw request, so a header can be sent twice on separate lines. */
function send(
  url: string,
  init: { method?: string; path: string; headers?: Record<string, string | string[]>; body?: string },
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${url}${init.path}`,
      { method: init.method ?? 'POST', headers: init.headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });
}

describe('the local server turns a request into an API Gateway REST proxy event', () => {
  it('passes method, path, resource, headers, query and body as API Gateway does, the body base64 (every media type is binary)', async () => {
    // Prepare
    const { url, invocations } = await serve();
    const body = JSON.stringify({ To_Account: ['alice'], TagList: ['Tag_Profile_IM_Nick'] });

    // Act
    const reply = await send(url, {
      path: `${PATH}?trace=1&trace=2`,
      headers: { 'Content-Type': 'application/json', 'X-Team': ['payments', 'growth'] },
      body,
    });

    // Assess
    const [{ event }] = invocations as [Invocation];
    expect(event).toMatchObject({
      httpMethod: 'POST',
      path: PATH,
      resource: PATH,
      body: Buffer.from(body).toString('base64'),
      isBase64Encoded: true,
      pathParameters: null,
      stageVariables: null,
      queryStringParameters: { trace: '2' },
      multiValueQueryStringParameters: { trace: ['1', '2'] },
    });
    expect(event.headers['Content-Type']).toBe('application/json');
    expect(event.headers['X-Team']).toBe('growth');
    expect(event.multiValueHeaders['X-Team']).toEqual(['payments', 'growth']);
    expect(event.requestContext).toMatchObject({
      httpMethod: 'POST',
      resourcePath: PATH,
      stage: 'local',
      path: `/local${PATH}`,
    });
    expect(event.requestContext.identity.sourceIp).toBe('127.0.0.1');
    expect(event.requestContext.requestId).toMatch(UUID);
    expect(reply.headers['x-amzn-requestid']).toBe(event.requestContext.requestId);
  });

  it('gives an empty body as null and no query as null, like API Gateway', async () => {
    // Prepare
    const { url, invocations } = await serve();

    // Act
    await send(url, { path: PATH });

    // Assess
    const [{ event }] = invocations as [Invocation];
    expect(event.body).toBeNull();
    expect(event.queryStringParameters).toBeNull();
    expect(event.multiValueQueryStringParameters).toBeNull();
  });

  it('gives every invocation its own request id and a Lambda-like context counting down from the timeout', async () => {
    // Prepare
    const { url, invocations } = await serve(undefined, { timeoutMs: 10_000 });

    // Act
    await send(url, { path: PATH, body: '{}' });
    await send(url, { path: PATH, body: '{}' });

    // Assess
    const [first, second] = invocations as [Invocation, Invocation];
    expect(first.event.requestContext.requestId).not.toBe(second.event.requestContext.requestId);
    expect(first.context.awsRequestId).toMatch(UUID);
    expect(first.context.awsRequestId).not.toBe(second.context.awsRequestId);
    expect(first.context.functionName).toBe('http');
    expect(first.context.invokedFunctionArn).toContain(':function:http');
    for (const { remainingMs } of invocations) {
      expect(remainingMs).toBeGreaterThan(0);
      expect(remainingMs).toBeLessThanOrEqual(10_000);
    }
  });
});

describe('the local server answers with the proxy result, as API Gateway does', () => {
  it('sends status, headers and body, multi-value headers winning over single ones of the same name', async () => {
    // Prepare
    const { url } = await serve(() => ({
      statusCode: 429,
      headers: { 'Retry-After': 2, 'Set-Cookie': 'ignored=1', 'Content-Type': 'application/json' },
      multiValueHeaders: { 'Set-Cookie': ['a=1', 'b=2'] },
      body: '{"ActionStatus":"FAIL","ErrorCode":60007}',
    }));

    // Act
    const reply = await send(url, { path: PATH, body: '{}' });

    // Assess
    expect(reply.status).toBe(429);
    expect(reply.headers['retry-after']).toBe('2');
    expect(reply.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    expect(JSON.parse(reply.body)).toEqual({ ActionStatus: 'FAIL', ErrorCode: 60007 });
  });

  it('decodes a base64 result body', async () => {
    // Prepare
    const { url } = await serve(() => ({
      statusCode: 200,
      body: Buffer.from('{"ok":true}').toString('base64'),
      isBase64Encoded: true,
    }));

    // Act
    const reply = await send(url, { path: PATH, body: '{}' });

    // Assess
    expect(reply.body).toBe('{"ok":true}');
  });
});

describe.each([
  ['GET', '/'],
  ['POST', '/v4/profile/portrait_set'],
  ['POST', `/prod${PATH}`],
  ['POST', `${PATH}/`],
  ['GET', PATH],
])('%s %s is not an API of the gateway', (method, path) => {
  it('answers 404 in Tencent shape and never invokes a handler', async () => {
    // Prepare
    const { url, invocations } = await serve();

    // Act
    const reply = await send(url, { method, path, body: method === 'GET' ? undefined : '{}' });

    // Assess
    expect(reply.status).toBe(404);
    const body = JSON.parse(reply.body);
    expect(body).toMatchObject({ ActionStatus: 'FAIL', ErrorCode: 60002 });
    expect(body.ErrorInfo).toContain(path);
    expect(invocations).toHaveLength(0);
  });
});

describe('a failed invocation is answered the way API Gateway answers it', () => {
  it.each([
    ['throws', () => Promise.reject(new Error('table gone: secret-looking detail'))],
    ['returns no proxy result', () => ({ nope: true }) as unknown as APIGatewayProxyResult],
    ['outlives its timeout', () => new Promise<APIGatewayProxyResult>(() => undefined)],
  ])(
    'a handler that %s gives 502 {"message":"Internal server error"}, the cause only in the log',
    async (_, reply) => {
      // Prepare
      const logged: string[] = [];
      const { url } = await serve(reply, { timeoutMs: 100, log: (line) => logged.push(line) });

      // Act
      const response = await send(url, { path: PATH, body: '{}' });

      // Assess
      expect(response.status).toBe(502);
      expect(JSON.parse(response.body)).toEqual({ message: 'Internal server error' });
      expect(logged).toHaveLength(1);
      expect(logged[0]).toContain('http invocation');
      expect(response.body).not.toContain('secret');
    },
  );

  describe.each([
    { case: 'exactly at', responseBytes: LAMBDA_RESPONSE_MAX_BYTES, status: 200 },
    { case: 'a byte over', responseBytes: LAMBDA_RESPONSE_MAX_BYTES + 1, status: 502 },
    { case: 'far over (8.4 MB)', responseBytes: 8_400_000, status: 502 },
  ])("a response $case Lambda's limit, counted as the runtime sends it", ({ responseBytes, status }) => {
    it(`is answered ${status}`, async () => {
      // Prepare: the result's JSON, as the runtime sends it, is `responseBytes` long
      const around = JSON.stringify({ statusCode: 200, body: '' }).length;
      const reply = { statusCode: 200, body: 'x'.repeat(responseBytes - around) };
      const logged: string[] = [];
      const { url } = await serve(() => reply, { log: (line) => logged.push(line) });

      // Act
      const response = await send(url, { path: PATH, body: '{}' });

      // Assess
      expect(response.status).toBe(status);
      if (status === 502) {
        expect(JSON.parse(response.body)).toEqual({ message: 'Internal server error' });
        expect(logged[0]).toContain(
          `Function.ResponseSizeTooLarge: Response payload size (${responseBytes} bytes) exceeded`,
        );
      } else {
        expect(response.body).toBe(reply.body);
      }
    });
  });
});

describe('isBinaryMediaType', () => {
  describe.each([
    { contentType: 'application/json', types: ['*/*'], binary: true },
    { contentType: undefined, types: ['*/*'], binary: true },
    { contentType: 'application/json; charset=utf-8', types: ['application/json'], binary: true },
    { contentType: 'image/png', types: ['image/*'], binary: true },
    { contentType: 'Application/JSON', types: ['application/json'], binary: true },
    { contentType: 'application/json', types: ['image/*', 'application/octet-stream'], binary: false },
    { contentType: undefined, types: ['text/plain'], binary: false },
    { contentType: 'text/plain', types: [], binary: false },
  ])('$contentType against $types', ({ contentType, types, binary }) => {
    it(`is ${binary ? 'binary' : 'text'}`, () => {
      expect(isBinaryMediaType(contentType, types)).toBe(binary);
    });
  });
});
