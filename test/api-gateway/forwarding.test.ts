import test from 'ava';
import {
  publicProblem,
  revocationVersionOf,
  upstreamHeaders,
  type HopHeaders,
} from '../../services/api-gateway/src/forwarding.ts';

// What the gateway carries upstream and back (services/api-gateway/src/forwarding.ts), header by header: the
// suites through a running gateway show the kind (api-gateway.test.ts), these show every member of it.

const hop: HopHeaders = { cookies: false, ip: '203.0.113.7', protocol: 'https', requestId: 'req-1', json: false };

/** Hop-by-hop headers (RFC 9110 §7.6.1, and the proxy-era ones), and those the gateway's own request sets anew. */
const HOP_BY_HOP = ['connection', 'content-length', 'host', 'keep-alive', 'proxy-authorization', 'proxy-connection'];
const HOP_BY_HOP_TOO = ['te', 'trailer', 'transfer-encoding', 'upgrade'];
/** Every header that could claim an identity, an origin or a trace. */
const CLAIMS = ['forwarded', 'x-client-ip', 'x-real-ip', 'x-forwarded-host', 'x-forwarded-port', 'x-user-id'];
const CLAIMS_TOO = ['x-user-role', 'x-auth-request-user', 'x-auth-token', 'x-identity-sub'];
const NEVER_FORWARDED = [...HOP_BY_HOP, ...HOP_BY_HOP_TOO, ...CLAIMS, ...CLAIMS_TOO];

for (const name of NEVER_FORWARDED) {
  test(`a client's ${name} header does not travel upstream`, (t) => {
    t.false(name in upstreamHeaders({ [name]: 'claimed', accept: 'application/json' }, hop));
  });
}

test('the client’s other headers travel upstream as sent, a repeated one joined with commas', (t) => {
  const headers = upstreamHeaders({ accept: 'application/json', 'x-trace-tags': ['ru', 'en'] }, hop);
  t.is(headers['accept'], 'application/json');
  t.is(headers['x-trace-tags'], 'ru, en');
});

test('the client’s X-Forwarded-For, X-Forwarded-Proto and X-Request-Id give way to the gateway’s own', (t) => {
  const headers = upstreamHeaders(
    { 'x-forwarded-for': '6.6.6.6', 'x-forwarded-proto': 'http', 'x-request-id': 'forged' },
    hop,
  );
  t.is(headers['x-forwarded-for'], '203.0.113.7');
  t.is(headers['x-forwarded-proto'], 'https');
  t.is(headers['x-request-id'], 'req-1');
});

test('the Cookie header travels only on routes that take cookies', (t) => {
  t.false('cookie' in upstreamHeaders({ cookie: 'cf_refresh=x' }, hop));
  t.is(upstreamHeaders({ cookie: 'cf_refresh=x' }, { ...hop, cookies: true })['cookie'], 'cf_refresh=x');
});

test('a checked JSON body goes as application/json, and without one no Content-Type travels', (t) => {
  t.is(upstreamHeaders({ 'content-type': 'text/plain' }, { ...hop, json: true })['content-type'], 'application/json');
  t.false('content-type' in upstreamHeaders({ 'content-type': 'application/json' }, hop));
});

test('an absent header value is skipped, not sent as the text "undefined"', (t) => {
  t.false('accept' in upstreamHeaders({ accept: undefined }, hop));
});

const problem = (body: unknown): Buffer => Buffer.from(JSON.stringify(body));

test('a problem’s instance gets the public prefix back', (t) => {
  const rewritten = publicProblem(problem({ status: 404, instance: '/telegram/accounts/1' }), '/api');
  t.deepEqual(JSON.parse(rewritten.toString()), { status: 404, instance: '/api/telegram/accounts/1' });
});

test('a problem without a path as instance, or a body that is not JSON, passes untouched', (t) => {
  for (const body of [
    problem({ status: 404 }),
    problem({ status: 404, instance: 7 }),
    problem({ status: 404, instance: 'urn:uuid:1' }),
    Buffer.from('not json'),
  ])
    t.is(publicProblem(body, '/api'), body);
});

test('the revocation position an upstream names is read only when it is a positive whole number', (t) => {
  t.is(revocationVersionOf({ 'x-revocation-version': '42' }), 42);
  for (const value of [undefined, '', '0', '-3', '1.5', 'abc', '9007199254740993'])
    t.is(revocationVersionOf({ 'x-revocation-version': value }), undefined, `${value}`);
});
