/**
 * Server bans: addresses and CIDR blocks kept off the whole server (every node). The engine stores
 * them; each node turns the list into a BlockList that admission checks before anything else, and
 * closes the connections it holds from a newly banned address.
 */
import { BlockList, isIPv4, isIPv6 } from 'node:net';
import type { BanInfo } from '../shared/protocol.js';

/** `203.0.113.7`, `203.0.113.0/24`, `2001:db8::/48` in one spelling (prefix lengths past the address are refused), or null. */
export function parseBanMask(text: string): string | null {
  const [address, prefix, extra] = text.trim().split('/');
  if (!address || extra !== undefined) return null;
  const family = isIPv4(address) ? 'ipv4' : isIPv6(address) ? 'ipv6' : null;
  if (!family) return null;
  if (prefix === undefined) return address.toLowerCase();
  const max = family === 'ipv4' ? 32 : 128;
  if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > max) return null;
  return `${address.toLowerCase()}/${Number(prefix)}`;
}

export function isActive(ban: BanInfo, now: number): boolean {
  return ban.expires === undefined || ban.expires > now;
}

/** The bans in force at `now` as a BlockList, and when the next of them expires (or null). */
export function banList(bans: readonly BanInfo[], now: number): { list: BlockList; nextExpiry: number | null } {
  const list = new BlockList();
  let nextExpiry: number | null = null;
  for (const ban of bans) {
    if (!isActive(ban, now)) continue;
    if (ban.expires !== undefined) nextExpiry = Math.min(nextExpiry ?? Infinity, ban.expires);
    const [address, prefix] = ban.mask.split('/') as [string, string | undefined];
    const family = isIPv4(address) ? 'ipv4' : 'ipv6';
    if (prefix === undefined) list.addAddress(address, family);
    else list.addSubnet(address, Number(prefix), family);
  }
  return { list, nextExpiry };
}

/** Whether `address` (as a socket reports it) is in `list`. */
export function isBanned(list: BlockList, address: string): boolean {
  // An IPv4-mapped IPv6 address is checked as the IPv4 address it carries.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  const plain = mapped ?? address;
  return list.check(plain, isIPv4(plain) ? 'ipv4' : 'ipv6');
}
