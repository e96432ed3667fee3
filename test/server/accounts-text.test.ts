/**
 * Accounts in the TCP text mode, as a person on nc meets them: a registered nick asks for its password,
 * a private server for the server's, and the account commands work as slash commands.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JsonClient, TextClient } from '../helpers/clients.js';
import { startInProcess, type InProcessServer } from '../helpers/in-process.js';
import { removeDir } from '../helpers/server.js';

const PASSWORD = 'correct horse';

async function line(c: TextClient, input: string, pattern: RegExp): Promise<RegExpMatchArray> {
  const from = c.utf8().length;
  c.write(`${input}\r\n`);
  return c.waitAfter(from, pattern);
}

describe('text mode on an open server', () => {
  let server: InProcessServer;
  beforeAll(async () => {
    server = await startInProcess();
    const owner = await JsonClient.registered('ws', server.wsUrl, 'Tex');
    owner.send({ type: 'register', password: PASSWORD });
    await owner.next('account');
    owner.close();
    await owner.closedPromise;
  });
  afterAll(async () => { await server.server.stop(); removeDir(server.dataDir); });

  it('a registered nick asks for its password; a wrong one asks again; the right one logs in', async () => {
    const c = await TextClient.connect(server.tcpPort);
    await c.waitFor(/Choose a nick: $/);
    await line(c, 'tex', /!!! NICK_REGISTERED: tex is registered: give its password to use it\r\n\*\*\* Password for tex \(or another nick after \/nick\): $/);
    await line(c, 'not the password', /!!! LOGIN_FAILED: wrong password\r\n\*\*\* Password for tex/);
    await line(c, PASSWORD, /\*\*\* Welcome, Tex! You are logged in\./);
    await c.waitFor(/#lobby -> Tex joined/);
    // The password never comes back in anything the server wrote.
    expect(c.utf8()).not.toContain(PASSWORD);
    c.close();
  });

  it('/nick at the password prompt picks another nick instead', async () => {
    const c = await TextClient.connect(server.tcpPort);
    await line(c, 'Tex', /Password for Tex/);
    await line(c, '/nick Texan', /\*\*\* Welcome, Texan! You are on/);
    await line(c, '/register short', /!!! PASSWORD_WEAK: a password must be at least 8 characters/);
    // Slash commands split on spaces: the password is one word here.
    await line(c, '/register horse-battery', /\*\*\* You are logged in as Texan\r\n/);
    await line(c, '/drop wrongpassword', /!!! LOGIN_FAILED: wrong password/);
    await line(c, '/drop horse-battery', /\*\*\* You are not logged in \(a guest\)/);
    c.close();
  });
});

describe('text mode on a private server', () => {
  let server: InProcessServer;
  beforeAll(async () => { server = await startInProcess({ args: ['--password', 'open sesame'] }); });
  afterAll(async () => { await server.server.stop(); removeDir(server.dataDir); });

  it('asks for the server password after the nick, and again after a wrong one', async () => {
    const c = await TextClient.connect(server.tcpPort);
    await line(c, 'visitor', /!!! PASSWORD_REQUIRED: this server needs a password: send it in hello.password\r\n\*\*\* Server password: $/);
    await line(c, 'guess', /!!! PASSWORD_REQUIRED: wrong server password\r\n\*\*\* Server password: $/);
    await line(c, 'open sesame', /\*\*\* Welcome, visitor!/);
    c.close();
  });
});
