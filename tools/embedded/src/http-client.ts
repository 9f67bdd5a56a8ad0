// One HTTP call to a service the way the suites and benchmarks make them: JSON in and out, a bearer token or the
// refresh cookie, and the client address as the gateway names it (X-Forwarded-For).
export interface CallOptions {
  body?: unknown;
  rawBody?: string;
  token?: string;
  cookie?: string;
  ip?: string;
  headers?: Record<string, string>;
}

export interface CallResult {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
  /** The refresh cookie value the response set, if any. */
  refreshCookie: string | undefined;
  setCookie: string | null;
}

/** One HTTP call to the service, as a client on `ip` (the gateway's X-Forwarded-For). */
export async function call(url: string, method: string, path: string, options: CallOptions = {}): Promise<CallResult> {
  const headers: Record<string, string> = { 'x-forwarded-for': options.ip ?? '10.9.9.9', ...options.headers };
  if (options.body !== undefined || options.rawBody !== undefined) headers['content-type'] = 'application/json';
  if (options.token !== undefined) headers['authorization'] = `Bearer ${options.token}`;
  if (options.cookie !== undefined) headers['cookie'] = `cf_refresh=${options.cookie}`;
  const response = await fetch(`${url}${path}`, {
    method,
    headers,
    ...(options.rawBody !== undefined
      ? { body: options.rawBody }
      : options.body !== undefined
        ? { body: JSON.stringify(options.body) }
        : {}),
  });
  const text = await response.text();
  const setCookie = response.headers.get('set-cookie');
  const refreshCookie = setCookie?.match(/cf_refresh=([^;]*)/)?.[1];
  return {
    status: response.status,
    body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
    headers: response.headers,
    refreshCookie: refreshCookie === '' ? undefined : refreshCookie,
    setCookie,
  };
}
