import test from 'ava';
import { proxyRanges } from '@cf/kit/http/client-address';

// TRUSTED_PROXIES parsing (services/kit/src/http/client-address.ts): what is a range, and what stops the service.

const family = (address: string): 'ipv4' | 'ipv6' => (address.includes(':') ? 'ipv6' : 'ipv4');

const ranges: [string, string[], string[], string[]][] = [
  [
    'a bare address is one host, of either family',
    ['10.1.2.3', 'fd00::1'],
    ['10.1.2.3', 'fd00::1'],
    ['10.1.2.4', 'fd00::2'],
  ],
  [
    'a prefix covers its range and nothing outside',
    ['10.0.0.0/8', 'fd00::/8'],
    ['10.255.0.1', 'fdff::1'],
    ['11.0.0.1', 'fe80::1'],
  ],
  [
    'the widest prefixes cover every address of their family',
    ['0.0.0.0/0', '::/0'],
    ['203.0.113.9', '2001:db8::1'],
    [],
  ],
  [
    'the narrowest prefixes are one host',
    ['192.0.2.1/32', '2001:db8::1/128'],
    ['192.0.2.1', '2001:db8::1'],
    ['192.0.2.2', '2001:db8::2'],
  ],
];

for (const [what, entries, inside, outside] of ranges)
  test(what, (t) => {
    const list = proxyRanges(entries);
    for (const address of inside) t.true(list.check(address, family(address)), `${address} is trusted`);
    for (const address of outside) t.false(list.check(address, family(address)), `${address} is not trusted`);
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
