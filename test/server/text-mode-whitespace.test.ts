import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JsonClient, TextClient } from '../helpers/clients.js';
import { removeDir, startServer, type RunningServer } from '../helpers/server.js';

let server: RunningServer;
beforeAll(async () => { server = await startServer(); });
afterAll(async () => { await server.stop(); removeDir(server.dataDir); });

describe('text mode lines full of spaces', () => {
  it('a long run of inner whitespace does not stall the event loop', async () => {
    const watcher = await JsonClient.registered('ws', server.wsUrl, 'watcher');
    const t = await TextClient.connect(server.tcpPort);
    t.write('spacey\r\n');
    await t.waitFor(/#lobby \(2\)/);
    const from = t.utf8().length;
    t.write(`a${' '.repeat(60_000)}b\r\n`);
    // The line's answer (too long to say) comes once it has been parsed (a quadratic trim took seconds;
    // how long it takes is a benchmark's business, not a test's), and others are still served.
    await t.waitAfter(from, /!!! TEXT_INVALID: [^\r\n]+\r\n/, 10_000);
    watcher.send({ type: 'ping', ref: 'lag' });
    await watcher.next((m) => m.type === 'pong');
    watcher.close();
    t.close();
  }, 20_000);
});
