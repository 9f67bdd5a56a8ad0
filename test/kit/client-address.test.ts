import test from 'ava';
import type { IncomingMessage } from 'node:http';
import { clientAddressResolver, proxyRanges } from '@cf/kit/http/client-address';

// Whose address a request is (services/kit/src/http/client-address.ts), as a plain function of the peer address
// and the X-Forwarded-For header: the suites through running services (test/kit/edge.test.ts) show it end to end,
// these show each rule on its own.

/** What the resolver reads of a request: the socket's peer address and the headers. */
const request = (peer: string | undefined, forwardedFor?: string | string[]): IncomingMessage =>
  ({
    socket: { remoteAddress: peer },
    headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
  }) as unknown as IncomingMessage;

const behindProxies = clientAddressResolver(proxyRanges(['10.0.0.0/8', 'fd00::/8']));

test('without proxies to trust, the peer is the client whatever X-Forwarded-For says', (t) => {
  t.is(clientAddressResolver(proxyRanges([]))(request('10.1.2.3', '203.0.113.9')), '10.1.2.3');
});

test('a peer outside the proxy ranges is the client whatever X-Forwarded-For says', (t) => {
  t.is(behindProxies(request('198.51.100.4', '203.0.113.9')), '198.51.100.4');
});

test('behind a trusted proxy the client is the last X-Forwarded-For entry, the one hop that proxy added', (t) => {
  t.is(behindProxies(request('10.1.2.3', '6.6.6.6, 203.0.113.9')), '203.0.113.9');
});

test('a header sent twice counts as one list, its last entry last', (t) => {
  t.is(behindProxies(request('10.1.2.3', ['6.6.6.6', '203.0.113.9'])), '203.0.113.9');
});

test('an IPv6 proxy is trusted by its IPv6 range', (t) => {
  t.is(behindProxies(request('fd00::7', '2001:db8::9')), '2001:db8::9');
});

test('an IPv4 proxy seen through a dual-stack socket (::ffff:10.1.2.3) is trusted by its IPv4 range', (t) => {
  t.is(behindProxies(request('::ffff:10.1.2.3', '203.0.113.9')), '203.0.113.9');
});

test('a trusted proxy that forwards no address, or not an address, leaves the peer as the client', (t) => {
  t.is(behindProxies(request('10.1.2.3')), '10.1.2.3');
  t.is(behindProxies(request('10.1.2.3', '203.0.113.9, unknown')), '10.1.2.3');
});

test('a request whose socket is gone has no address rather than a made-up one', (t) => {
  t.is(behindProxies(request(undefined, '203.0.113.9')), '');
});
