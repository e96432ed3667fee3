/**
 * Moderation from the TCP text mode, as a host on nc would do it: register, make a room, op a friend,
 * kick and ban a spammer with slash commands, and read what everyone is shown.
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { TextClient } from '../helpers/clients.js';
import { startInProcess, type InProcessServer } from '../helpers/in-process.js';
import { removeDir } from '../helpers/server.js';

let server: InProcessServer;
beforeAll(async () => { server = await startInProcess({ args: ['--limit-exempt', ''] }); });
afterAll(async () => { await server.server.stop(); removeDir(server.dataDir); });

async function line(c: TextClient, input: string, pattern: RegExp): Promise<RegExpMatchArray> {
  const from = c.utf8().length;
  c.write(`${input}\r\n`);
  return c.waitAfter(from, pattern);
}

async function person(nick: string, from: string): Promise<TextClient> {
  const c = await TextClient.connect(server.tcpPort, { localAddress: from });
  await line(c, nick, new RegExp(`\\*\\*\\* #lobby \\(\\d+\\): .*\\b${nick}\\b`));
  return c;
}

describe('moderation in the text mode', () => {
  it('/op, /kick, /ban and /set work as slash commands, and everyone reads what happened', async () => {
    const host = await person('Hoster', '127.0.8.1');
    const friend = await person('Pal', '127.0.8.2');
    const spam = await person('Junk', '127.0.8.3');
    await line(host, '/register horse-battery', /You are logged in as Hoster/);
    await line(friend, '/register staple-paper', /You are logged in as Pal/);
    await line(host, '/join #den', /#den \(1\): Hoster/);
    await line(friend, '/join #den', /#den \(2\)/);
    await line(spam, '/join #den', /#den \(3\)/);
    await line(spam, '/kick Pal', /!!! NOT_OPERATOR: only #den's operators may do that/);
    await line(host, '/op Pal', /#den Hoster: op Pal/);
    await line(friend, '/kick Junk go away', /#den <- Junk left \(kicked by Pal: go away\)/);
    await line(spam, '/join #den', /#den \(3\)/);
    await line(friend, '/ban Junk 1d adverts', /1 ban\(s\) in #den:\r\n {2}junk by Pal: adverts/);
    await spam.waitFor(/#den <- Junk left \(banned: adverts\)/);
    await line(spam, '/nick Junk2', /Junk is now known as Junk2/);
    await line(spam, '/join #den', /!!! BANNED: you are banned from #den: adverts/);
    await line(host, '/set moderated on', /#den Hoster: settings moderated/);
    await line(host, '/set key sesame', /#den Hoster: settings key, moderated/);
    for (const c of [host, friend, spam]) c.close();
  });
});
