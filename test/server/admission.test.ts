/** Admission bookkeeping in process, on a fake monotonic clock: keys, caps, exemptions, rate, cleanup. */
import { describe, expect, it } from 'vitest';
import { Admission, addressKey, parseAddressList, Ticket, type AdmissionLimits } from '../../server/admission.js';
import { parseOpenFilesLimit, socketBudget } from '../../server/open-files.js';

const LIMITS: AdmissionLimits = {
  maxSockets: 1000, maxPerAddress: 4, maxUnregisteredPerAddress: 2, connectRate: 10, connectBurst: 20, exempt: '',
};

function setup(limits: Partial<AdmissionLimits> = {}) {
  const clock = { now: 0 };
  const admission = new Admission({ ...LIMITS, ...limits }, () => clock.now);
  const admit = (address: string): Ticket => {
    const verdict = admission.admit(address);
    if (!(verdict instanceof Ticket)) throw new Error(`${address} refused: ${verdict}`);
    return verdict;
  };
  return { clock, admission, admit };
}

describe('addressKey', () => {
  it('keeps IPv4 addresses as they are', () => {
    expect(addressKey('192.0.2.7')).toBe('192.0.2.7');
  });

  it('reads IPv4-mapped IPv6 as the IPv4 address, in either notation', () => {
    expect(addressKey('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(addressKey('::ffff:c000:207')).toBe('192.0.2.7');
    expect(addressKey('0:0:0:0:0:ffff:192.0.2.7')).toBe('192.0.2.7');
  });

  it('groups IPv6 by /64, however the address is written', () => {
    const key = addressKey('2001:db8:1:2::1');
    expect(key).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:0db8:0001:0002:ffff:ffff:ffff:ffff')).toBe(key);
    expect(addressKey('2001:db8:1:2:aaaa::9%eth0')).toBe(key);
    expect(addressKey('2001:db8:1:3::1')).not.toBe(key);
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey('fe80::1')).toBe('fe80:0:0:0::/64');
    expect(addressKey('::2.3.4.5')).toBe('0:0:0:0::/64');
  });
});

describe('Admission', () => {
  it('caps the sockets one address holds, and frees a place when one closes', () => {
    const { admission, admit } = setup({ maxUnregisteredPerAddress: 100 });
    const held = [1, 2, 3, 4].map(() => admit('192.0.2.1'));
    expect(admission.admit('192.0.2.1')).toBe('address');
    expect(admission.admit('192.0.2.2')).toBeInstanceOf(Ticket);
    held[0]!.release();
    held[0]!.release();
    expect(admission.admit('192.0.2.1')).toBeInstanceOf(Ticket);
    expect(admission.admit('192.0.2.1')).toBe('address');
  });

  it('caps unregistered sockets per address; a hello frees a place, and a registered socket still counts as open', () => {
    const { admission, admit } = setup();
    const [a] = [admit('192.0.2.1'), admit('192.0.2.1')];
    expect(admission.admit('192.0.2.1')).toBe('unregistered');
    a!.registered();
    a!.registered();
    const c = admit('192.0.2.1');
    expect(admission.admit('192.0.2.1')).toBe('unregistered');
    c.registered();
    admit('192.0.2.1');
    // Four open now: the per-address cap applies whatever their state.
    expect(admission.admit('192.0.2.1')).toBe('address');
  });

  it('groups an IPv6 /64 under one cap and keeps other /64s apart', () => {
    const { admission, admit } = setup({ maxUnregisteredPerAddress: 100 });
    for (let i = 1; i <= 4; i++) admit(`2001:db8:0:1::${i.toString(16)}`);
    expect(admission.admit('2001:db8:0:1:ffff::1')).toBe('address');
    expect(admission.admit('2001:db8:0:2::1')).toBeInstanceOf(Ticket);
  });

  it('counts an IPv4-mapped address and the plain IPv4 address as one', () => {
    const { admission, admit } = setup();
    admit('::ffff:192.0.2.1');
    admit('192.0.2.1');
    expect(admission.admit('::ffff:192.0.2.1')).toBe('unregistered');
  });

  it('limits the connection rate per address with a burst, and refills on the monotonic clock', () => {
    const { clock, admission } = setup({ maxPerAddress: 1000, maxUnregisteredPerAddress: 1000, connectRate: 10, connectBurst: 20 });
    const verdicts = Array.from({ length: 25 }, () => admission.admit('192.0.2.1'));
    expect(verdicts.filter((v) => v instanceof Ticket)).toHaveLength(20);
    expect(verdicts.slice(20)).toEqual(['rate', 'rate', 'rate', 'rate', 'rate']);
    expect(admission.admit('192.0.2.2')).toBeInstanceOf(Ticket);
    clock.now += 99;
    expect(admission.admit('192.0.2.1')).toBe('rate');
    clock.now += 2;
    expect(admission.admit('192.0.2.1')).toBeInstanceOf(Ticket);
    expect(admission.admit('192.0.2.1')).toBe('rate');
    clock.now += 10_000;
    expect(Array.from({ length: 21 }, () => admission.admit('192.0.2.1')).filter((v) => v === 'rate')).toHaveLength(1);
  });

  it('with --connect-rate 0 never refuses for rate', () => {
    const { admission } = setup({ connectRate: 0, maxPerAddress: 1000, maxUnregisteredPerAddress: 1000 });
    const verdicts = Array.from({ length: 500 }, () => admission.admit('192.0.2.1'));
    expect(verdicts.every((v) => v instanceof Ticket)).toBe(true);
  });

  it('exempts listed addresses and CIDR blocks from the per-address caps, but not from the total', () => {
    const { admission } = setup({ exempt: '127.0.0.0/8, ::1, 2001:db8::/32', maxSockets: 30 });
    const verdicts = [
      ...Array.from({ length: 10 }, () => admission.admit('127.0.0.1')),
      ...Array.from({ length: 10 }, () => admission.admit('::ffff:127.0.0.9')),
      ...Array.from({ length: 10 }, () => admission.admit('2001:db8:ffff::1')),
    ];
    expect(verdicts.every((v) => v instanceof Ticket)).toBe(true);
    expect(admission.openSockets).toBe(30);
    expect(admission.trackedAddresses).toBe(0);
    expect(admission.admit('::1')).toBe('total');
    expect(admission.admit('192.0.2.1')).toBe('total');
    (verdicts[0] as Ticket).release();
    expect(admission.admit('::1')).toBeInstanceOf(Ticket);
  });

  it('caps all sockets together', () => {
    const { admission, admit } = setup({ maxSockets: 3 });
    admit('192.0.2.1');
    admit('192.0.2.2');
    const third = admit('192.0.2.3');
    expect(admission.admit('192.0.2.4')).toBe('total');
    third.release();
    expect(admission.admit('192.0.2.4')).toBeInstanceOf(Ticket);
  });

  it('forgets an address once it holds no socket and its bucket is full, so churn does not grow the map', () => {
    const { clock, admission, admit } = setup();
    for (let i = 0; i < 5000; i++) admit(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`).release();
    expect(admission.trackedAddresses).toBe(5000);
    // A bucket spent by one connection refills in 100 ms; idle entries are looked at once a second.
    clock.now += 1000;
    const holder = admit('192.0.2.1');
    expect(admission.trackedAddresses).toBe(1);
    // An address that still holds a socket, or whose bucket is not full yet (.2: 10 of 20), is kept.
    for (let i = 0; i < 20; i++) admit('192.0.2.2').release();
    clock.now += 1000;
    admit('192.0.2.3').release();
    expect(admission.trackedAddresses).toBe(3);
    // Once the holder is gone and every bucket is full, only the newest address is left.
    clock.now += 1000;
    holder.release();
    admit('192.0.2.4').release();
    expect(admission.trackedAddresses).toBe(1);
    expect(admission.openSockets).toBe(0);
  });

  it('calls a silent socket crowded when its address waits on others or the server is half full', () => {
    const { admission, admit } = setup({ maxSockets: 10, exempt: '127.0.0.1' });
    const lone = admit('192.0.2.1');
    expect(admission.crowded(lone)).toBe(false);
    const exempt = admit('127.0.0.1');
    expect(admission.crowded(exempt)).toBe(false);
    const second = admit('192.0.2.1');
    expect(admission.crowded(lone)).toBe(true);
    second.registered();
    expect(admission.crowded(lone)).toBe(false);
    for (let i = 0; i < 2; i++) admit(`192.0.2.${10 + i}`);
    expect(admission.crowded(exempt)).toBe(true);
  });
});

describe('parseAddressList', () => {
  it('accepts addresses and CIDR blocks of both families, and an empty list', () => {
    expect(parseAddressList('').ok).toBe(true);
    expect(parseAddressList('127.0.0.0/8,::1, 10.1.2.3 ,2001:db8::/32').ok).toBe(true);
  });

  it.each(['localhost', '10.0.0.0/33', '::1/129', '10.0.0.0/8/1', '10.0.0.0/x', '300.1.1.1'])('refuses %s with a clear message', (bad) => {
    const result = parseAddressList(`127.0.0.1,${bad}`);
    expect(result).toMatchObject({ ok: false });
    expect(!result.ok && result.error).toContain(`'${bad}'`);
  });
});

describe('socket budget', () => {
  it('reads the soft open-files limit from /proc/self/limits', () => {
    const text = 'Limit                     Soft Limit           Hard Limit           Units     \n'
      + 'Max processes             63711                63711                processes \n'
      + 'Max open files            1200                 4096                 files     \n';
    expect(parseOpenFilesLimit(text)).toBe(1200);
    expect(parseOpenFilesLimit(text.replace('1200', 'unlimited'))).toBeNull();
    expect(parseOpenFilesLimit('nonsense')).toBeNull();
  });

  it('keeps --max-connections plus its margin when the limit allows it, or the limit is unknown', () => {
    expect(socketBudget(2, 20_000)).toEqual({ socketCap: 66, maxConnections: 2, clamped: false });
    expect(socketBudget(100_000, null)).toEqual({ socketCap: 110_000, maxConnections: 100_000, clamped: false });
  });

  it('clamps below the limit, keeping descriptors in reserve and room for SERVER_FULL answers', () => {
    for (const limit of [300, 1200, 20_000, 1_048_576]) {
      const budget = socketBudget(10_000_000, limit);
      expect(budget.clamped).toBe(true);
      expect(budget.socketCap).toBeLessThanOrEqual(limit - 128);
      expect(budget.maxConnections).toBeLessThanOrEqual(budget.socketCap - 64);
      expect(budget.maxConnections).toBeGreaterThan(0);
    }
    expect(socketBudget(100_000, 20_000).socketCap).toBeGreaterThan(19_000);
    expect(socketBudget(1, 100).maxConnections).toBe(1);
  });
});
