/** One answered request, as the local server reports it. */
export interface AnsweredRequest {
  method: string;
  path: string;
  statusCode: number;
  /** The reply's headers as sent. */
  headers: Record<string, string | string[]>;
  /** From the request's arrival to its reply handed to the socket. */
  durationMs: number;
}

/** The reply headers that say how portrait_get was served, and their names in the access line. */
const SERVED_BY = [
  ['x-cache-hits', 'hits'],
  ['x-cache-misses', 'misses'],
  ['x-upstream-calls', 'upstream'],
  ['x-cache-stale', 'stale'],
] as const;

function header(headers: AnsweredRequest['headers'], name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name) return Array.isArray(value) ? value.join(',') : value;
  }
  return undefined;
}

/**
 * The console's line for one request: method, path, status, time, and how it was served where the
 * reply says so, e.g. `POST /v4/profile/portrait_get 200 41ms hits=0 misses=3 upstream=1`
 * (`stale=N` when some accounts were served past their freshness).
 */
export function accessLine(answered: AnsweredRequest): string {
  const served = SERVED_BY.flatMap(([name, label]) => {
    const value = header(answered.headers, name);
    return value === undefined ? [] : [`${label}=${value}`];
  });
  return [
    answered.method,
    answered.path,
    String(answered.statusCode),
    `${Math.round(answered.durationMs)}ms`,
    ...served,
  ].join(' ');
}
