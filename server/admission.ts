/**
 * Connection admission: who may open another socket. Per address (an IPv4 address, or an IPv6 /64,
 * which is what one host or home usually holds) it caps open sockets, sockets that have not said hello
 * yet, and the rate of new connections; across all addresses it caps the sockets held at once, so a
 * flood cannot run the process out of descriptors. Pure bookkeeping: the transports ask and answer.
 */
import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { isBanned } from './server-bans.js';

export type Refusal = 'banned' | 'rate' | 'address' | 'unregistered' | 'total';

export interface AdmissionLimits {
  /** Sockets held at once, from every address, exempt ones included. */
  maxSockets: number;
  maxPerAddress: number;
  maxUnregisteredPerAddress: number;
  /** New connections per second per address; 0 turns the rate off. */
  connectRate: number;
  connectBurst: number;
  /** Comma-separated addresses and CIDR blocks free of the per-address caps (the total still counts them). */
  exempt: string;
}

/** What one address holds: its sockets and its connection-rate bucket. */
interface AddressEntry {
  readonly key: string;
  open: number;
  unregistered: number;
  tokens: number;
  refilledAt: number;
}

/** Idle entries (no sockets) are looked at no more often than this, to drop those whose bucket is full. */
const SWEEP_INTERVAL_MS = 1000;

/** One admitted socket's place in the counts. `registered` and `release` may be called more than once. */
export class Ticket {
  private state: 'unregistered' | 'registered' | 'released' = 'unregistered';

  constructor(
    private readonly owner: Admission,
    /** Null for an exempt address, which only counts in the total. */
    readonly entry: AddressEntry | null,
  ) {}

  /** The socket said hello: it no longer counts against the unregistered cap. */
  registered(): void {
    if (this.state !== 'unregistered') return;
    this.state = 'registered';
    if (this.entry) this.entry.unregistered--;
  }

  /** The socket is gone. */
  release(): void {
    if (this.state === 'released') return;
    const wasUnregistered = this.state === 'unregistered';
    this.state = 'released';
    this.owner.released(this.entry, wasUnregistered);
  }
}

export class Admission {
  private readonly entries = new Map<string, AddressEntry>();
  /** Entries with no sockets: dropped once their bucket is full again. */
  private readonly idle = new Set<AddressEntry>();
  private readonly exempt: BlockList;
  /** Server bans (see server-bans.ts), checked before anything else, exempt addresses included. */
  private banned: BlockList | null = null;
  private open = 0;
  private sweptAt: number;

  constructor(
    private readonly limits: AdmissionLimits,
    private readonly now: () => number = () => performance.now(),
  ) {
    const parsed = parseAddressList(limits.exempt);
    if (!parsed.ok) throw new Error(parsed.error);
    this.exempt = parsed.list;
    this.sweptAt = now();
  }

  /** Sockets held now, from every address. */
  get openSockets(): number {
    return this.open;
  }

  /** Addresses with an entry (for tests and metrics): those with sockets, or a bucket still refilling. */
  get trackedAddresses(): number {
    return this.entries.size;
  }

  setBans(list: BlockList): void {
    this.banned = list;
  }

  /** A ticket for a new socket from `address`, or why it is refused. */
  admit(address: string): Ticket | Refusal {
    if (this.banned && isBanned(this.banned, address)) return 'banned';
    const now = this.now();
    if (now - this.sweptAt >= SWEEP_INTERVAL_MS) this.sweep(now);
    if (this.isExempt(address)) {
      if (this.open >= this.limits.maxSockets) return 'total';
      this.open++;
      return new Ticket(this, null);
    }
    const key = addressKey(address);
    const entry = this.entries.get(key) ?? this.create(key, now);
    if (!this.takeToken(entry, now)) return 'rate';
    if (entry.open >= this.limits.maxPerAddress) return 'address';
    if (entry.unregistered >= this.limits.maxUnregisteredPerAddress) return 'unregistered';
    if (this.open >= this.limits.maxSockets) return 'total';
    this.open++;
    entry.open++;
    entry.unregistered++;
    this.idle.delete(entry);
    return new Ticket(this, entry);
  }

  /**
   * Whether a socket that has not sent a byte yet should be cut at the handshake timeout: its address
   * holds other sockets that have not said hello, or the server is half full. A lone person still
   * typing a nick (nc and telnet send nothing before Enter) keeps the whole registration timeout.
   */
  crowded(ticket: Ticket): boolean {
    return this.open * 2 >= this.limits.maxSockets || (ticket.entry !== null && ticket.entry.unregistered > 1);
  }

  /** Called by Ticket.release. */
  released(entry: AddressEntry | null, wasUnregistered: boolean): void {
    this.open--;
    if (!entry) return;
    entry.open--;
    if (wasUnregistered) entry.unregistered--;
    if (entry.open === 0) this.idle.add(entry);
  }

  private create(key: string, now: number): AddressEntry {
    const entry: AddressEntry = { key, open: 0, unregistered: 0, tokens: this.limits.connectBurst, refilledAt: now };
    this.entries.set(key, entry);
    this.idle.add(entry);
    return entry;
  }

  private takeToken(entry: AddressEntry, now: number): boolean {
    if (this.limits.connectRate === 0) return true;
    this.refill(entry, now);
    if (entry.tokens < 1) return false;
    entry.tokens -= 1;
    return true;
  }

  private refill(entry: AddressEntry, now: number): void {
    const earned = ((now - entry.refilledAt) * this.limits.connectRate) / 1000;
    entry.tokens = Math.min(this.limits.connectBurst, entry.tokens + earned);
    entry.refilledAt = now;
  }

  /** Forgets addresses that hold no socket and would start afresh anyway (a full bucket). */
  private sweep(now: number): void {
    this.sweptAt = now;
    for (const entry of this.idle) {
      if (this.limits.connectRate !== 0) this.refill(entry, now);
      if (entry.open === 0 && (this.limits.connectRate === 0 || entry.tokens >= this.limits.connectBurst)) {
        this.idle.delete(entry);
        this.entries.delete(entry.key);
      }
    }
  }

  isExempt(address: string): boolean {
    return this.exempt.check(address, isIPv4(address) ? 'ipv4' : 'ipv6');
  }
}

/**
 * The key the per-address caps count under: an IPv4 address as is (also when it comes IPv4-mapped,
 * `::ffff:a.b.c.d`), an IPv6 address by its /64 prefix.
 */
export function addressKey(address: string): string {
  if (isIPv4(address)) return address;
  const groups = ipv6Groups(address);
  if (!groups) return address;
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const [hi, lo] = [groups[6]!, groups[7]!];
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  return `${groups.slice(0, 4).map((g) => g.toString(16)).join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address, or null if it is not one. */
function ipv6Groups(text: string): number[] | null {
  let address = text.split('%')[0]!;
  if (!isIPv6(address)) return null;
  // A trailing dotted quad (`::ffff:1.2.3.4`) is the last two groups written in decimal.
  address = address.replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_, a, b, c, d) =>
    `${((Number(a) << 8) | Number(b)).toString(16)}:${((Number(c) << 8) | Number(d)).toString(16)}`);
  const groups = (part: string) => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const gap = address.indexOf('::');
  if (gap < 0) return groups(address);
  const head = groups(address.slice(0, gap));
  const tail = groups(address.slice(gap + 2));
  return [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
}

export type AddressListResult = { ok: true; list: BlockList } | { ok: false; error: string };

/** Parses `a.b.c.d, a.b.c.d/n, ::1, 2001:db8::/32, …` (empty: no addresses). */
export function parseAddressList(text: string): AddressListResult {
  const list = new BlockList();
  for (const item of text.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const [address, prefix, extra] = item.split('/');
    const family = isIPv4(address!) ? 'ipv4' : isIPv6(address!) ? 'ipv6' : null;
    const max = family === 'ipv4' ? 32 : 128;
    if (!family || extra !== undefined || (prefix !== undefined && !/^\d{1,3}$/.test(prefix)) || Number(prefix ?? 0) > max) {
      return { ok: false, error: `'${item}' is not an IPv4 or IPv6 address or CIDR block (such as 10.0.0.0/8 or 2001:db8::/32)` };
    }
    if (prefix === undefined) list.addAddress(address!, family);
    else list.addSubnet(address!, Number(prefix), family);
  }
  return { ok: true, list };
}
