/**
 * The hub's read markers (server/read-markers.ts) over a store in memory: moves coalesce into one write
 * per batch holding the latest marker of each room, a failed write is tried again without losing a newer
 * move, the bound per account drops a room the account is not in first, and an account nobody here is
 * logged in to is forgotten once written.
 */
import { describe, expect, it, vi } from 'vitest';
import type { ReadMarker } from '../../../server/engine/engine.js';
import { MARKERS_PER_ACCOUNT, ReadMarkers } from '../../../server/read-markers.js';
import { User } from '../../../server/user.js';
import { capturingLogger } from '../../helpers/in-process.js';
import { MemoryReadMarkers } from './scripted-engine.js';

const nowhere = () => false;

function markers(flushMs = 60_000): { store: MemoryReadMarkers; book: ReadMarkers; logs: ReturnType<typeof capturingLogger>['records'] } {
  const store = new MemoryReadMarkers();
  const { log, records } = capturingLogger();
  return { store, book: new ReadMarkers(store, log, flushMs), logs: records };
}

async function loggedIn(book: ReadMarkers, account: string, user = new User(account)): Promise<User> {
  book.enter(account, user);
  await book.open(account);
  return user;
}

describe('ReadMarkers', () => {
  it('coalesces moves: one write per batch, with the latest marker of each room, and nothing for a move backwards', async () => {
    const { store, book } = markers();
    await loggedIn(book, 'ada');
    for (let seq = 1; seq <= 50; seq++) book.move('ada', '#dev', '#Dev', seq, nowhere);
    book.move('ada', '#ops', '#ops', 7, nowhere);
    expect(book.move('ada', '#dev', '#Dev', 3, nowhere)).toMatchObject({ moved: false, marker: { room: '#Dev', seq: 50 } });
    expect(store.saves).toEqual([]);
    await book.flush();
    expect(store.saves).toHaveLength(1);
    expect(store.saves[0]!.map(([account, room, marker]) => [account, room, marker?.seq])).toEqual([['ada', '#dev', 50], ['ada', '#ops', 7]]);
    await book.flush();
    expect(store.saves).toHaveLength(1);
  });

  it('writes a batch on its own once the interval has passed', async () => {
    const { store, book } = markers(20);
    await loggedIn(book, 'ada');
    book.move('ada', '#dev', '#dev', 4, nowhere);
    await vi.waitFor(() => expect(store.byAccount.get('ada')?.get('#dev')?.seq).toBe(4));
  });

  it('a failed write is logged and tried again; a move made meanwhile wins over what failed', async () => {
    const { store, book, logs } = markers();
    await loggedIn(book, 'ada');
    book.move('ada', '#dev', '#dev', 5, nowhere);
    book.move('ada', '#ops', '#ops', 2, nowhere);
    store.failing = true;
    await book.flush();
    expect(logs.some((r) => r.msg === 'read markers could not be stored; trying again' && r.markers === 2)).toBe(true);
    book.move('ada', '#dev', '#dev', 9, nowhere);
    store.failing = false;
    await book.flush();
    expect(store.saves).toHaveLength(1);
    expect(new Map([...store.byAccount.get('ada')!].map(([room, m]) => [room, m.seq]))).toEqual(new Map([['#dev', 9], ['#ops', 2]]));
  });

  it(`keeps at most ${MARKERS_PER_ACCOUNT} markers an account: a new room drops the oldest of a room it is not in`, async () => {
    const { store, book } = markers();
    const stored = new Map<string, ReadMarker>();
    // Stored out of order: they are aged by when they moved, not by where they sit.
    for (let i = MARKERS_PER_ACCOUNT - 1; i >= 0; i--) stored.set(`#r${i}`, { room: `#r${i}`, seq: 1, ts: 1000 + i });
    store.byAccount.set('ada', stored);
    await loggedIn(book, 'ada');
    const joined = new Set(['#r0', '#r1']);
    book.move('ada', '#new', '#new', 3, (key) => joined.has(key));
    expect(book.list('ada')).toHaveLength(MARKERS_PER_ACCOUNT);
    expect(book.list('ada').map((m) => m.room)).toEqual(expect.not.arrayContaining(['#r2']));
    expect(book.list('ada').map((m) => m.room)).toEqual(expect.arrayContaining(['#r0', '#r1', '#r3', '#new']));
    // Moving one it has does not drop any.
    book.move('ada', '#r0', '#r0', 2, (key) => joined.has(key));
    expect(book.list('ada')).toHaveLength(MARKERS_PER_ACCOUNT);
    await book.flush();
    expect(store.byAccount.get('ada')!.size).toBe(MARKERS_PER_ACCOUNT);
    expect(store.byAccount.get('ada')!.has('#r2')).toBe(false);
  });

  it('forgets an account nobody here is logged in to once its changes are written, and reads it again at the next login', async () => {
    const { store, book } = markers();
    const user = await loggedIn(book, 'ada');
    await book.open('ada');
    expect(store.loads).toBe(1);
    book.move('ada', '#dev', '#dev', 6, nowhere);
    book.leave('ada', user);
    await vi.waitFor(() => expect(store.byAccount.get('ada')?.get('#dev')?.seq).toBe(6));
    await book.flush();
    expect(book.list('ada')).toEqual([]);
    await loggedIn(book, 'ada');
    expect(store.loads).toBe(2);
    expect(book.list('ada')).toMatchObject([{ room: '#dev', seq: 6 }]);
  });

  it('a failed read is an error for whoever asked, and the next open reads again', async () => {
    const { store, book } = markers();
    book.enter('ada', new User('x'));
    store.failing = true;
    await expect(book.open('ada')).rejects.toThrow('the store is down');
    expect(() => book.move('ada', '#dev', '#dev', 1, nowhere)).toThrow('not loaded');
    store.failing = false;
    await book.open('ada');
    expect(book.move('ada', '#dev', '#dev', 1, nowhere).moved).toBe(true);
  });

  it('forget deletes every marker of the account', async () => {
    const { store, book } = markers();
    await loggedIn(book, 'ada');
    book.move('ada', '#a', '#a', 1, nowhere);
    book.move('ada', '#b', '#b', 2, nowhere);
    await book.flush();
    await book.forget('ada');
    await book.flush();
    expect(store.byAccount.get('ada')?.size).toBe(0);
    expect(book.list('ada')).toEqual([]);
  });
});
