import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';
import type { Context, Next } from 'koa';

/**
 * Parses `TRUSTED_PROXIES`-style CIDR lists (`10.0.0.0/8,fd00::/8`, a bare address means one host).
 * Throws naming the entry that is not an address range.
 */
export function proxyRanges(cidrs: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of cidrs) {
    const [address = '', prefix] = entry.split('/');
    const family = isIP(address);
    if (family === 0) throw new Error(`not an address range: ${entry}`);
    const type = family === 6 ? 'ipv6' : 'ipv4';
    const bits = prefix === undefined ? (family === 6 ? 128 : 32) : Number(prefix);
    if (!Number.isInteger(bits) || bits < 0 || bits > (family === 6 ? 128 : 32)) {
      throw new Error(`not an address range: ${entry}`);
    }
    list.addSubnet(address, bits, type);
  }
  return list;
}

/**
 * Whether `address` is in one of `list`'s ranges. BlockList itself matches an IPv4-mapped IPv6 address
 * (`::ffff:10.0.0.1`, how a dual-stack socket reports an IPv4 peer) against IPv4 ranges, and answers false for text
 * that is no address (Node's SocketAddressBlockList; held by test/kit/client-address.test.ts).
 */
function trusted(list: BlockList, address: string): boolean {
  return list.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');
}

/**
 * The client address of a request: the peer's own address, unless the peer is one of our proxies (by address
 * range), in which case the last `X-Forwarded-For` entry — the one hop that proxy added. Anything a client wrote
 * further left in the header is never believed. A plain function of the request, for handlers outside koa too.
 */
export function clientAddressResolver(proxies: BlockList): (req: IncomingMessage) => string {
  return function clientAddressOf(req) {
    // Undefined once the socket is gone.
    const peer = req.socket.remoteAddress ?? '';
    if (!trusted(proxies, peer)) return peer;
    const forwarded = req.headers['x-forwarded-for'];
    const hops = (Array.isArray(forwarded) ? forwarded.join(',') : (forwarded ?? '')).split(',');
    const last = hops.at(-1)?.trim() ?? '';
    return isIP(last) !== 0 ? last : peer;
  };
}

/** Sets `ctx.ip` to the client address (see `clientAddressResolver`). */
export function clientAddress(proxies: BlockList) {
  const addressOf = clientAddressResolver(proxies);
  return function resolveClientAddress(ctx: Context, next: Next): Promise<void> {
    ctx.request.ip = addressOf(ctx.req);
    return next();
  };
}
