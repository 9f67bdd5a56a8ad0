import test from 'ava';
import { proxyRanges } from '@cf/kit/http/client-address';

// TRUSTED_PROXIES parsing (services/kit/src/http/client-address.ts): what is a range, and what stops the service.

test('a bare address is one host, of either family', (t) => {
  const list = proxyRanges(['10.1.2.3', 'fd00::1']);
  t.true(list.check('10.1.2.3', 'ipv4'));
  t.false(list.check('10.1.2.4', 'ipv4'));
  t.true(list.check('fd00::1', 'ipv6'));
  t.false(list.check('fd00::2', 'ipv6'));
});

test('a prefix covers its range and nothing outside', (t) => {
  const list = proxyRanges(['10.0.0.0/8', 'fd00::/8']);
  t.true(list.check('10.255.0.1', 'ipv4'));
  t.false(list.check('11.0.0.1', 'ipv4'));
  t.true(list.check('fdff::1', 'ipv6'));
  t.false(list.check('fe80::1', 'ipv6'));
});

test('the widest and narrowest prefixes of each family are ranges', (t) => {
  t.true(proxyRanges(['0.0.0.0/0']).check('203.0.113.9', 'ipv4'));
  t.true(proxyRanges(['192.0.2.1/32']).check('192.0.2.1', 'ipv4'));
  t.true(proxyRanges(['::/0']).check('2001:db8::1', 'ipv6'));
  t.true(proxyRanges(['2001:db8::1/128']).check('2001:db8::1', 'ipv6'));
});

for (const entry of [
  '10.0.0.0/33',
  '::/129',
  '10.0.0.0/-1',
  '10.0.0.0/x',
  '10.0.0.0/8.5',
  'proxy.internal',
  '',
  '10.0.0/8',
])
  test(`"${entry}" is not an address range and is refused by name`, (t) => {
    t.throws(() => proxyRanges([entry]), { message: `not an address range: ${entry}` });
  });
