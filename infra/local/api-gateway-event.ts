import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { BINARY_MEDIA_TYPES } from '../api-routes.ts';

/** What API Gateway knows about a request besides its bytes. */
export interface EventSource {
  /** The API resource the path matched, e.g. `/v4/profile/portrait_get`. */
  resource: string;
  /** Default `local`: the deployed API puts the stage in `requestContext.path` only, never in `path`. */
  stage?: string;
  /** Default a fresh UUID, like API Gateway's own request ids. */
  requestId?: string;
  /** Default `Date.now()`. */
  now?: number;
}

/** The account id API Gateway would report; locally there is none, so a recognisable placeholder. */
const LOCAL_ACCOUNT_ID = '000000000000';
const LOCAL_API_ID = 'local';

/** Name/value pairs as API Gateway passes them: the last value of each name, and all of them in order. */
function collect(pairs: Iterable<[string, string]>): {
  last: Record<string, string>;
  all: Record<string, string[]>;
} {
  const last: Record<string, string> = {};
  const all: Record<string, string[]> = {};
  for (const [name, value] of pairs) {
    last[name] = value;
    all[name] = [...(all[name] ?? []), value];
  }
  return { last, all };
}

/** Node's `rawHeaders` keep the case the client sent, which is what the REST API hands a proxy integration. */
function* rawHeaderPairs(rawHeaders: readonly string[]): Generator<[string, string]> {
  for (let i = 0; i + 1 < rawHeaders.length; i += 2)
    yield [rawHeaders[i] as string, rawHeaders[i + 1] as string];
}

/** `09/Apr/2015:12:34:56 +0000`, the format of `requestContext.requestTime`. */
function requestTimeOf(epochMs: number): string {
  const date = new Date(epochMs);
  const month = date.toLocaleString('en-US', { month: 'short', timeZone: 'UTC' });
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${pad(date.getUTCDate())}/${month}/${date.getUTCFullYear()}:` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`
  );
}

/** A request as plain values: what {@link buildApiGatewayEvent} needs from the wire. */
export interface PlainRequest {
  method: string;
  /** Path and query, e.g. `/v4/profile/portrait_get?x=1`. */
  url: string;
  /** Header name/value pairs in the order and case sent. */
  headers: Iterable<[string, string]>;
  /** `null` for no body. */
  body: string | null;
  /** Whether `body` is base64; default `false`. */
  isBase64Encoded?: boolean;
  /** Default `127.0.0.1`. */
  sourceIp?: string;
  /** Default `1.1`. */
  httpVersion?: string;
}

/**
 * The REST API (v1) proxy event API Gateway would send for this request. IAM identity fields are
 * `null`: nothing signs requests locally.
 */
export function buildApiGatewayEvent(request: PlainRequest, source: EventSource): APIGatewayProxyEvent {
  const url = new URL(request.url, 'http://localhost');
  const stage = source.stage ?? 'local';
  const now = source.now ?? Date.now();
  const headers = collect(request.headers);
  const query = collect(url.searchParams);
  const hasQuery = Object.keys(query.last).length > 0;
  const headerNamed = (name: string) =>
    Object.entries(headers.last).find(([key]) => key.toLowerCase() === name)?.[1];
  return {
    resource: source.resource,
    path: url.pathname,
    httpMethod: request.method,
    headers: headers.last,
    multiValueHeaders: headers.all,
    queryStringParameters: hasQuery ? query.last : null,
    multiValueQueryStringParameters: hasQuery ? query.all : null,
    pathParameters: null,
    stageVariables: null,
    body: request.body,
    isBase64Encoded: request.isBase64Encoded ?? false,
    requestContext: {
      accountId: LOCAL_ACCOUNT_ID,
      apiId: LOCAL_API_ID,
      authorizer: null,
      domainName: headerNamed('host') ?? 'localhost',
      domainPrefix: LOCAL_API_ID,
      extendedRequestId: randomUUID(),
      httpMethod: request.method,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: request.sourceIp ?? '127.0.0.1',
        user: null,
        userAgent: headerNamed('user-agent') ?? null,
        userArn: null,
      },
      path: `/${stage}${url.pathname}`,
      protocol: `HTTP/${request.httpVersion ?? '1.1'}`,
      requestId: source.requestId ?? randomUUID(),
      requestTime: requestTimeOf(now),
      requestTimeEpoch: now,
      resourceId: LOCAL_API_ID,
      resourcePath: source.resource,
      stage,
    },
  };
}

/**
 * Whether API Gateway treats a request body of `contentType` as binary: it matches one of `types`
 * exactly, by `type/*` or by `*` + `/*`. A request without a Content-Type counts as
 * `application/json`, API Gateway's default.
 */
export function isBinaryMediaType(contentType: string | undefined, types: readonly string[]): boolean {
  const [type = '', subtype = ''] =
    (contentType ?? 'application/json').split(';')[0]?.trim().toLowerCase().split('/') ?? [];
  return types.some((binary) => {
    const [bType, bSubtype] = binary.toLowerCase().split('/');
    return (bType === '*' || bType === type) && (bSubtype === '*' || bSubtype === subtype);
  });
}

/**
 * The event for a live request to the local server. A body whose Content-Type is one of the API's
 * binary media types (infra/api-routes.ts: all of them) is passed base64-encoded with
 * `isBase64Encoded: true`, as the deployed API passes it; any other as UTF-8 text. An empty body is
 * `null`.
 */
export function toApiGatewayEvent(
  request: IncomingMessage,
  body: Buffer,
  source: EventSource,
): APIGatewayProxyEvent {
  const binary = isBinaryMediaType(request.headers['content-type'], BINARY_MEDIA_TYPES);
  return buildApiGatewayEvent(
    {
      method: request.method ?? 'GET',
      url: request.url ?? '/',
      headers: rawHeaderPairs(request.rawHeaders),
      body: body.length === 0 ? null : body.toString(binary ? 'base64' : 'utf8'),
      isBase64Encoded: binary && body.length > 0,
      sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
      httpVersion: request.httpVersion,
    },
    source,
  );
}

/** An HTTP reply as Node writes it: one entry per header name, repeated values as arrays. */
export interface HttpReply {
  statusCode: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
}

/**
 * What API Gateway sends back for a proxy result: `headers` and `multiValueHeaders` merged (where a
 * name appears in both, only the multi-value list is kept, as API Gateway documents), a base64 body
 * decoded.
 */
export function fromProxyResult(result: APIGatewayProxyResult): HttpReply {
  const headers: Record<string, string | string[]> = {};
  const multiNames = new Set(Object.keys(result.multiValueHeaders ?? {}).map((name) => name.toLowerCase()));
  for (const [name, value] of Object.entries(result.headers ?? {})) {
    if (!multiNames.has(name.toLowerCase())) headers[name] = String(value);
  }
  for (const [name, values] of Object.entries(result.multiValueHeaders ?? {})) {
    headers[name] = values.map(String);
  }
  const body = Buffer.from(result.body ?? '', result.isBase64Encoded ? 'base64' : 'utf8');
  return { statusCode: result.statusCode, headers, body };
}
