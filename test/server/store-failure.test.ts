/** When history cannot be written, the sender gets INTERNAL (not an ack) and nothing is broadcast. */
import Database from 'better-sqlite3';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JsonClient } from '../helpers/clients.js';
import { removeDir, startServer, type RunningServer } from '../helpers/server.js';

let server: RunningServer;
beforeAll(async () => { server = await startServer(); });
afterAll(async () => { await server.stop(); removeDir(server.dataDir); });

describe('history store failure', () => {
  it('a locked database fails the message with INTERNAL; once unlocked, messages flow again', async () => {
    const a = await JsonClient.registered('ws', server.wsUrl, 'writer');
    const b = await JsonClient.registered('tcp', server.tcpPort, 'listener');
    // Another process holding the write lock is what a stuck backup or a full disk looks like to us.
    const other = new Database(path.join(server.dataDir, 'chat.db'));
    other.exec('BEGIN IMMEDIATE');
    a.send({ type: 'say', room: '#lobby', text: 'lost?', ref: 'locked' });
    expect(await a.error('INTERNAL', 5000)).toMatchObject({ ref: 'locked' });
    expect(await b.none((m) => m.type === 'message', 300)).toBe(true);
    // A handler that throws (here the topic write) is answered with INTERNAL and the server carries on.
    a.send({ type: 'topic', room: '#lobby', topic: 'while locked', ref: 't1' });
    expect(await a.error('INTERNAL', 5000)).toMatchObject({ ref: 't1', message: 'the server failed to handle that message' });
    await expect.poll(() => server.output(), { timeout: 3000 }).toContain('"msg":"handler failed"');
    other.exec('COMMIT');
    other.close();
    a.send({ type: 'say', room: '#lobby', text: 'stored', ref: 'ok' });
    expect(await a.next('ack')).toMatchObject({ ref: 'ok' });
    expect(await b.next('message')).toMatchObject({ text: 'stored', from: 'writer' });
    a.close(); b.close();
  });
});
