/**
 * The IRC listener end to end: real sockets to a real server on 127.0.0.1, IRC users beside WebSocket,
 * TCP JSON and text-mode users in the same rooms. Registration in every order, CAP, SASL PLAIN, the
 * everyday commands with their numerics, line splitting, malformed lines, and reply order.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { IrcClient } from '../helpers/irc-client.js';
import { JsonClient, TextClient } from '../helpers/clients.js';
import { startInProcess, type InProcessServer } from '../helpers/in-process.js';
import { removeDir } from '../helpers/server.js';

const PASSWORD = 'correct horse';

let server: InProcessServer;
let port: number;
const open: { close(): void }[] = [];

beforeAll(async () => {
  server = await startInProcess({ args: ['--irc-port', '0', '--motd', 'be kind\nhave fun'] });
  port = server.server.ircPort!;
});
afterEach(() => { for (const c of open.splice(0)) c.close(); });
afterAll(async () => {
  await server.server.stop();
  removeDir(server.dataDir);
});

async function irc(nick: string, pass?: string): Promise<IrcClient> {
  const c = await IrcClient.registered(port, nick, pass);
  open.push(c);
  return c;
}

async function raw(): Promise<IrcClient> {
  const c = await IrcClient.connect(port);
  open.push(c);
  return c;
}

async function json(nick: string): Promise<JsonClient> {
  const c = await JsonClient.registered('ws', server.wsUrl, nick);
  open.push(c);
  return c;
}

describe('registration', () => {
  it('NICK then USER, or USER then NICK: 001 to 005 and the MOTD; no room is joined', async () => {
    for (const order of [['NICK reg1', 'USER u 0 * :Real Name'], ['USER u 0 * :Real Name', 'NICK reg2']]) {
      const c = await raw();
      for (const line of order) c.send(line);
      const nick = order.find((l) => l.startsWith('NICK'))!.slice(5);
      expect(await c.next('001')).toMatchObject({ source: 'chat', params: [nick, expect.stringContaining(`Welcome to the chat IRC Network ${nick}`)] });
      for (const code of ['002', '003', '004']) await c.next(code);
      const isupport = await c.next('005');
      expect(isupport.params).toEqual(expect.arrayContaining(['CASEMAPPING=ascii', 'CHANTYPES=#', 'PREFIX=(ov)@+']));
      await c.next('375');
      expect((await c.next('372')).params[1]).toBe('- be kind');
      expect((await c.next('372')).params[1]).toBe('- have fun');
      await c.next('376');
      expect((await c.sync()).filter((m) => m.verb === 'JOIN')).toEqual([]);
    }
  });

  it('CAP LS 302 holds registration until CAP END; REQ is acked or refused as a whole', async () => {
    const c = await raw();
    c.send('CAP LS 302');
    c.send('NICK capper');
    c.send('USER capper 0 * :Cap');
    const ls = await c.next('CAP');
    expect(ls.params.slice(0, 2)).toEqual(['*', 'LS']);
    expect(ls.params[2]!.split(' ')).toEqual(expect.arrayContaining(['server-time', 'message-tags', 'echo-message', 'sasl=PLAIN']));
    c.send('CAP REQ :server-time bogus-cap');
    expect(await c.next('CAP')).toMatchObject({ params: ['*', 'NAK', 'server-time bogus-cap'] });
    c.send('CAP REQ :server-time echo-message');
    expect(await c.next('CAP')).toMatchObject({ params: ['*', 'ACK', 'server-time echo-message'] });
    c.send('PING early');
    expect(await c.next('PONG')).toMatchObject({ params: ['chat', 'early'] });
    expect(c.lines.some((l) => / 001 /.test(l))).toBe(false);
    c.send('CAP END');
    await c.next('001');
    c.send('CAP LIST');
    expect(await c.next('CAP')).toMatchObject({ params: ['capper', 'LIST', expect.stringContaining('echo-message')] });
  });

  it('commands before registration get 451; a taken nick 433, a bad one 432, and registration can go on', async () => {
    const holder = await irc('taken');
    const c = await raw();
    c.send('JOIN #early');
    expect(await c.next('451')).toMatchObject({ params: ['*', 'You have not registered'] });
    c.send('USER x 0 * :X');
    c.send('NICK taken');
    expect(await c.next('433')).toMatchObject({ params: ['*', 'taken', 'Nickname is already in use'] });
    c.send('NICK 1bad');
    expect(await c.next('432')).toMatchObject({ params: ['*', '1bad', 'Erroneous nickname'] });
    c.send('NICK fine');
    expect(await c.next('001')).toMatchObject({ params: ['fine', expect.any(String)] });
    c.send('USER again 0 * :Again');
    expect(await c.next('462')).toBeTruthy();
    holder.close();
  });

  it('SASL PLAIN logs in to an account (and takes its nick); a wrong password gets 904', async () => {
    const owner = await json('Saslo');
    owner.send({ type: 'register', password: PASSWORD, ref: 'r' });
    await owner.next('account');
    owner.close();
    await owner.closedPromise;
    const bad = await raw();
    bad.send('CAP LS 302');
    bad.send('CAP REQ sasl');
    await bad.next((m) => m.verb === 'CAP' && m.params[1] === 'ACK');
    bad.send('AUTHENTICATE PLAIN');
    expect(await bad.next('AUTHENTICATE')).toMatchObject({ params: ['+'] });
    bad.send(`AUTHENTICATE ${Buffer.from(`\0Saslo\0wrong password`).toString('base64')}`);
    await bad.next('904');

    const c = await raw();
    c.send('CAP LS 302');
    c.send('NICK whatever');
    c.send('USER s 0 * :S');
    c.send('CAP REQ sasl');
    c.send('AUTHENTICATE PLAIN');
    await c.next('AUTHENTICATE');
    c.send(`AUTHENTICATE ${Buffer.from(`\0saslo\0${PASSWORD}`).toString('base64')}`);
    // Addressed to the nick the client asked for: 001 tells it the account's.
    expect(await c.next('900')).toMatchObject({ params: ['whatever', 'Saslo!~u@chat', 'Saslo', expect.any(String)] });
    expect(await c.next('903')).toMatchObject({ params: ['whatever', 'SASL authentication successful'] });
    c.send('CAP END');
    expect(await c.next('001')).toMatchObject({ params: ['Saslo', expect.any(String)] });
  });

  it('PASS with the account password logs a registered nick in', async () => {
    const owner = await json('Passo');
    owner.send({ type: 'register', password: PASSWORD, ref: 'r' });
    await owner.next('account');
    owner.close();
    await owner.closedPromise;
    const c = await raw();
    c.send(`PASS :${PASSWORD}`);
    c.send('NICK passo');
    c.send('USER p 0 * :P');
    expect(await c.next('900')).toMatchObject({ params: ['passo', 'Passo!~u@chat', 'Passo', expect.any(String)] });
    await c.next('001');
  });
});

describe('chatting with users of every transport', () => {
  it('joins, messages, actions, DMs, topic, names, who, list, part and one QUIT per user', async () => {
    const a = await irc('ircA');
    a.send('CAP REQ :server-time message-tags');
    await a.next((m) => m.verb === 'CAP' && m.params[1] === 'ACK');
    const w = await json('wsW');
    const t = await TextClient.connect(server.tcpPort);
    open.push(t);
    await t.waitFor(/Choose a nick: $/);
    t.write('txtT\r\n');
    await t.waitFor(/Welcome, txtT/);

    a.send('JOIN #mix');
    expect(await a.next('JOIN')).toMatchObject({ source: 'ircA!~u@chat', params: ['#mix'] });
    expect(await a.next('353')).toMatchObject({ params: ['ircA', '=', '#mix', 'ircA'] });
    await a.next('366');
    expect(await w.join('#mix')).toMatchObject({ type: 'who', users: expect.arrayContaining(['ircA', 'wsW']) });
    expect(await a.next('JOIN')).toMatchObject({ source: 'wsW!~u@chat', params: ['#mix'] });
    t.write('/join #mix\r\n');
    await t.waitFor(/#mix -> txtT joined/);
    await a.next((m) => m.verb === 'JOIN' && m.source === 'txtT!~u@chat');

    // WebSocket to IRC, with our message id and time as tags.
    w.send({ type: 'say', room: '#mix', text: 'hello irc', ref: 's1' });
    const ack = await w.next('ack');
    const line = await a.next('PRIVMSG');
    expect(line).toMatchObject({ source: 'wsW!~u@chat', params: ['#mix', 'hello irc'] });
    expect(line.tags.get('msgid')).toBe(ack.type === 'ack' && ack.id);
    expect(line.tags.get('time')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

    // IRC to the others; mIRC colours stripped; CTCP ACTION is our action.
    a.send('PRIVMSG #mix :\x0304red\x03 and \x02bold\x02');
    expect(await w.next((m) => m.type === 'message' && m.from === 'ircA')).toMatchObject({ text: 'red and bold' });
    await t.waitFor(/#mix <ircA> red and bold/);
    a.send('PRIVMSG #mix :\x01ACTION waves\x01');
    expect(await w.next((m) => m.type === 'message' && m.from === 'ircA')).toMatchObject({ text: 'waves', action: true });
    w.send({ type: 'say', room: '#mix', text: 'nods', action: true });
    expect(await a.next((m) => m.verb === 'PRIVMSG' && m.source === 'wsW!~u@chat')).toMatchObject({ params: ['#mix', '\x01ACTION nods\x01'] });

    // A message of several lines is several PRIVMSGs, the msgid on the first.
    w.send({ type: 'say', room: '#mix', text: 'one\ntwo\n\nfour' });
    const parts = [await a.next('PRIVMSG'), await a.next('PRIVMSG'), await a.next('PRIVMSG'), await a.next('PRIVMSG')];
    expect(parts.map((p) => p.params[1])).toEqual(['one', 'two', ' ', 'four']);
    expect(parts.map((p) => p.tags.has('msgid'))).toEqual([true, false, false, false]);

    // DMs both ways.
    w.send({ type: 'dm', to: 'irca', text: 'psst' });
    expect(await a.next((m) => m.verb === 'PRIVMSG' && m.params[0] === 'ircA')).toMatchObject({ source: 'wsW!~u@chat', params: ['ircA', 'psst'] });
    a.send('PRIVMSG wsW :back');
    expect(await w.next((m) => m.type === 'dm' && m.from === 'ircA')).toMatchObject({ to: 'wsW', text: 'back' });

    // Topic, names, who, list.
    a.send('TOPIC #mix :plans for today');
    expect(await a.next('TOPIC')).toMatchObject({ source: 'ircA!~u@chat', params: ['#mix', 'plans for today'] });
    expect(await w.next('topic')).toMatchObject({ topic: 'plans for today', by: 'ircA' });
    a.send('TOPIC #mix');
    expect(await a.next('332')).toMatchObject({ params: ['ircA', '#mix', 'plans for today'] });
    a.send('NAMES #mix');
    const names = await a.next('353');
    expect(names.params[3]!.split(' ').sort()).toEqual(['ircA', 'txtT', 'wsW']);
    await a.next('366');
    a.send('WHO #mix');
    const who = [await a.next('352'), await a.next('352'), await a.next('352')];
    expect(who.map((m) => m.params[5]).sort()).toEqual(['ircA', 'txtT', 'wsW']);
    await a.next('315');
    a.send('LIST');
    await a.next('321');
    expect(await a.next('322')).toMatchObject({ params: ['ircA', '#mix', '3', 'plans for today'] });
    await a.next('323');

    // A new joiner gets the topic before the names.
    const b = await irc('ircB');
    b.send('JOIN #mix');
    await b.next('JOIN');
    expect(await b.next('332')).toMatchObject({ params: ['ircB', '#mix', 'plans for today'] });
    await b.next('353');

    // Part, then one QUIT for a user who shared two rooms.
    await a.join('#second');
    await b.join('#second');
    a.send('PART #second :see you');
    expect(await b.next('PART')).toMatchObject({ source: 'ircA!~u@chat', params: ['#second', 'see you'] });
    await a.join('#second');
    a.send('QUIT :off to bed');
    expect(await a.next('ERROR')).toMatchObject({ params: ['Closing link: (Quit: off to bed)'] });
    expect(await b.next('QUIT')).toMatchObject({ source: 'ircA!~u@chat', params: ['off to bed'] });
    expect((await b.sync()).filter((m) => m.verb === 'QUIT' || m.verb === 'PART')).toEqual([]);
    expect(await w.next((m) => m.type === 'left' && m.nick === 'ircA')).toMatchObject({ quit: true });
  });

  it('echo-message echoes our own messages; without it they are not sent back', async () => {
    const plain = await irc('plainE');
    const echo = await irc('echoE');
    echo.send('CAP REQ echo-message');
    await echo.next('CAP');
    await plain.join('#echo');
    await echo.join('#echo');
    echo.send('PRIVMSG #echo :mine');
    expect(await echo.next('PRIVMSG')).toMatchObject({ source: 'echoE!~u@chat', params: ['#echo', 'mine'] });
    plain.send('PRIVMSG #echo :not echoed');
    expect(await echo.next('PRIVMSG')).toMatchObject({ params: ['#echo', 'not echoed'] });
    expect((await plain.sync()).filter((m) => m.verb === 'PRIVMSG' && m.params[1] === 'not echoed')).toEqual([]);
  });

  it('replies come in the order of requests: a PING after a PRIVMSG is answered after its echo', async () => {
    const c = await irc('orderO');
    c.send('CAP REQ echo-message');
    await c.next('CAP');
    await c.join('#order');
    for (let i = 0; i < 20; i++) {
      c.send(`PRIVMSG #order :m${i}`);
      c.send(`PING p${i}`);
    }
    await c.next((m) => m.verb === 'PONG' && m.params[1] === 'p19');
    const sequence = c.lines.filter((l) => / PRIVMSG #order | PONG /.test(l)).map((l) => l.split(' ').pop());
    expect(sequence).toEqual(Array.from({ length: 20 }, (_, i) => [`m${i}`, `p${i}`]).flat());
  });
});

describe('messages sent on without waiting', () => {
  it('answers keep the order of the lines: an echo, an immediate 404, the next echo, then the PONG', async () => {
    const c = await irc('pipeP');
    c.send('CAP REQ echo-message');
    await c.next('CAP');
    await c.join('#pipe');
    for (let round = 0; round < 5; round++) {
      c.send(`PRIVMSG #pipe :a${round}`);
      c.send(`PRIVMSG #elsewhere :lost${round}`);
      c.send(`NOTICE #elsewhere :quiet${round}`);
      c.send(`PRIVMSG #pipe :b${round}`);
      c.send(`PING r${round}`);
    }
    await c.next((m) => m.verb === 'PONG' && m.params[1] === 'r4');
    const seen = c.lines.filter((l) => / PRIVMSG #pipe | 404 | PONG /.test(l)).map((l) => (/ 404 /.test(l) ? '404' : l.split(' ').pop()));
    expect(seen).toEqual([0, 1, 2, 3, 4].flatMap((r) => [`a${r}`, '404', `b${r}`, `r${r}`]));
  });
});

describe('messages refused before they are sent', () => {
  it('a target our rules refuse is answered in its place among the other answers', async () => {
    const c = await irc('refuseR');
    c.send('CAP REQ echo-message');
    await c.next('CAP');
    await c.join('#refuse');
    c.send('PRIVMSG #refuse :first');
    c.send('PRIVMSG 1bad :to nobody');
    c.send('PRIVMSG #refuse :second');
    c.send('PING done');
    await c.next((m) => m.verb === 'PONG' && m.params[1] === 'done');
    const seen = c.lines.filter((l) => / PRIVMSG #refuse | 432 | PONG /.test(l)).map((l) => (/ 432 /.test(l) ? '432' : l.split(' ').pop()));
    expect(seen).toEqual(['first', '432', 'second', 'done']);
  });
});

describe('errors', () => {
  it('each refusal gets its numeric, and the connection goes on', async () => {
    const c = await irc('errE');
    c.send('PRIVMSG #nowhere :hi');
    expect(await c.next('404')).toMatchObject({ params: ['errE', '#nowhere', 'Cannot send to channel'] });
    c.send('PART #nowhere');
    expect(await c.next('442')).toMatchObject({ params: ['errE', '#nowhere', "You're not on that channel"] });
    c.send('PRIVMSG nobodyhere :hi');
    expect(await c.next('401')).toMatchObject({ params: ['errE', 'nobodyhere', 'No such nick/channel'] });
    c.send('JOIN #bad.name');
    expect(await c.next('403')).toMatchObject({ params: ['errE', '#bad.name', 'No such channel'] });
    c.send('MODE errE +i');
    expect(await c.next('221')).toMatchObject({ params: ['errE', '+i'] });
    c.send('MODE errE +w');
    expect(await c.next('501')).toBeTruthy();
    c.send('MODE someoneelse');
    expect(await c.next('502')).toBeTruthy();
    c.send('FROBNICATE now');
    expect(await c.next('421')).toMatchObject({ params: ['errE', 'FROBNICATE', 'Unknown command'] });
    c.send('JOIN');
    expect(await c.next('461')).toMatchObject({ params: ['errE', 'JOIN', 'Not enough parameters'] });
    c.send(`PRIVMSG #x :${'y'.repeat(600)}`);
    expect(await c.next('417')).toBeTruthy();
    c.socket.write(Buffer.concat([Buffer.from('PRIVMSG #x :'), Buffer.from([0xff, 0xfe]), Buffer.from('\r\n')]));
    expect(await c.next('FAIL')).toMatchObject({ params: ['PRIVMSG', 'INVALID_UTF8', expect.any(String)] });
    c.send(':only.a.source');
    expect(await c.next('421')).toBeTruthy();
    // NOTICE is never answered with an error.
    c.send('NOTICE nobodyhere :hi');
    expect((await c.sync()).filter((m) => /^\d{3}$/.test(m.verb))).toEqual([]);
    expect(c.closed).toBe(false);
  });
});

describe('IRCv3 batches and labels', () => {
  async function withCaps(nick: string, caps: string): Promise<IrcClient> {
    const c = await irc(nick);
    await c.requestCaps(caps);
    return c;
  }

  it('userhost-in-names lists sources in NAMES', async () => {
    const c = await withCaps('hostsH', 'userhost-in-names');
    c.send('JOIN #hosts');
    expect(await c.next('353')).toMatchObject({ params: ['hostsH', '=', '#hosts', 'hostsH!~u@chat'] });
  });

  it('labeled-response: one line carries the label, several come as a batch, none as ACK', async () => {
    const c = await withCaps('labelL', 'labeled-response batch echo-message');
    c.send('@label=one PING tok');
    expect(await c.next('PONG')).toMatchObject({ params: ['chat', 'tok'] });
    expect(c.lines.at(-1)).toBe('@label=one :chat PONG chat tok');
    c.send('@label=two JOIN #labels');
    const open = await c.next('BATCH');
    expect(open.tags.get('label')).toBe('two');
    expect(open.params[1]).toBe('labeled-response');
    const id = open.params[0]!.slice(1);
    const join = await c.next('JOIN');
    expect(join.tags.get('batch')).toBe(id);
    expect((await c.next('366')).tags.get('batch')).toBe(id);
    expect(await c.next('BATCH')).toMatchObject({ params: [`-${id}`] });
    c.send('@label=three PONG whatever');
    expect(await c.next('ACK')).toMatchObject({ tags: new Map([['label', 'three']]) });
    c.send('@label=four PRIVMSG #labels :echoed');
    const echo = await c.next('PRIVMSG');
    expect(echo.tags.get('label')).toBe('four');
    c.send('@label=five PRIVMSG #nowhere :x');
    expect((await c.next('404')).tags.get('label')).toBe('five');
  });

  it('a JOIN replays the room\'s recent history after NAMES, as a chathistory batch, to a client with server-time', async () => {
    const w = await json('histW');
    await w.join('#replay');
    for (const text of ['first', 'second']) {
      w.send({ type: 'say', room: '#replay', text, ref: text });
      await w.next((m) => m.type === 'ack' && m.ref === text);
    }
    const timed = await withCaps('timedT', 'server-time batch message-tags');
    timed.send('JOIN #replay');
    await timed.next('366');
    const open = await timed.next('BATCH');
    expect(open.params.slice(1)).toEqual(['chathistory', '#replay']);
    const replay = [await timed.next('PRIVMSG'), await timed.next('PRIVMSG')];
    expect(replay.map((m) => m.params[1])).toEqual(['first', 'second']);
    expect(replay.every((m) => m.tags.get('batch') === open.params[0]!.slice(1) && m.tags.has('time') && m.tags.has('msgid'))).toBe(true);
    await timed.next((m) => m.verb === 'BATCH' && m.params[0]!.startsWith('-'));
    const plain = await irc('plainP');
    plain.send('JOIN #replay');
    await plain.next('366');
    expect((await plain.sync()).filter((m) => m.verb === 'PRIVMSG' || m.verb === 'BATCH')).toEqual([]);
  });
});

describe('moderation over IRC', () => {
  async function saslLogin(nick: string): Promise<IrcClient> {
    const owner = await json(nick);
    owner.send({ type: 'register', password: PASSWORD, ref: 'r' });
    await owner.next('account');
    owner.close();
    await owner.closedPromise;
    const c = await raw();
    c.send('CAP REQ sasl');
    c.send(`NICK ${nick}`);
    c.send(`USER ${nick} 0 * :${nick}`);
    c.send('AUTHENTICATE PLAIN');
    await c.next('AUTHENTICATE');
    c.send(`AUTHENTICATE ${Buffer.from(`\0${nick}\0${PASSWORD}`).toString('base64')}`);
    await c.next('903');
    c.send('CAP END');
    await c.next('376');
    return c;
  }

  it('MODE sets room settings, roles and bans; KICK and INVITE; each refusal its numeric', async () => {
    const owner = await saslLogin('Owny');
    await owner.join('#modes');
    const guest = await irc('guestM');
    await guest.join('#modes');

    guest.send('MODE #modes +t');
    expect(await guest.next('482')).toMatchObject({ params: ['guestM', '#modes', "You're not channel operator"] });
    guest.send('KILL Owny :bye');
    expect(await guest.next('481')).toBeTruthy();
    owner.send('MODE #modes +x');
    expect(await owner.next('472')).toMatchObject({ params: ['Owny', 'x', 'is unknown mode char to me'] });

    owner.send('MODE #modes +m');
    // (The server's own MODE +o, telling the room its creator owns it, may come first.)
    expect(await guest.next((m) => m.verb === 'MODE' && m.params[1] === '+m')).toMatchObject({ source: 'Owny!~u@chat', params: ['#modes', '+m'] });
    await owner.next((m) => m.verb === 'NOTICE' && /moderated/.test(m.params[1]!));
    guest.send('PRIVMSG #modes :can I speak?');
    expect(await guest.next('404')).toMatchObject({ params: ['guestM', '#modes', expect.any(String)] });
    owner.send('MODE #modes -m');
    expect(await guest.next((m) => m.verb === 'MODE' && m.params[1] === '-m')).toMatchObject({ source: 'Owny!~u@chat', params: ['#modes', '-m'] });
    await owner.next((m) => m.verb === 'NOTICE' && m.params[0] === 'Owny');

    owner.send('MODE #modes +b guestM');
    expect(await owner.next('367')).toMatchObject({ params: ['Owny', '#modes', 'guestm', 'Owny', expect.any(String)] });
    await owner.next('368');
    expect(await guest.next((m) => m.verb === 'PART' && m.source === 'guestM!~u@chat')).toMatchObject({ params: ['#modes', expect.stringContaining('banned')] });
    guest.send('JOIN #modes');
    expect(await guest.next('474')).toMatchObject({ params: ['guestM', '#modes', 'Cannot join channel (+b)'] });
    owner.send('MODE #modes -b guestM');
    await owner.next('368');
    await guest.join('#modes');

    owner.send('KICK #modes guestM :out you go');
    expect(await guest.next('KICK')).toMatchObject({ source: 'Owny!~u@chat', params: ['#modes', 'guestM', 'out you go'] });
    owner.send('MODE #modes +i');
    await owner.next((m) => m.verb === 'NOTICE' && /invite-only/.test(m.params[1]!));
    guest.send('JOIN #modes');
    expect(await guest.next('473')).toBeTruthy();
    owner.send('INVITE guestM #modes');
    expect(await owner.next('341')).toMatchObject({ params: ['Owny', 'guestM', '#modes'] });
    expect(await guest.next('INVITE')).toMatchObject({ source: 'Owny!~u@chat', params: ['guestM', '#modes'] });
    await guest.join('#modes');
  });
});

describe('draft/chathistory', () => {
  it('LATEST, BEFORE, AFTER, AROUND and BETWEEN by msgid and timestamp, in chathistory batches', async () => {
    const w = await json('histWriter');
    await w.join('#past');
    const sent: { id: string; ts: number; text: string }[] = [];
    for (let i = 1; i <= 12; i++) {
      w.send({ type: 'say', room: '#past', text: `p${i}`, ref: `p${i}` });
      const ack = await w.next((m) => m.type === 'ack' && m.ref === `p${i}`);
      if (ack.type === 'ack') sent.push({ id: ack.id, ts: ack.ts, text: `p${i}` });
    }
    const c = await irc('histReader');
    c.send('CAP REQ :draft/chathistory batch server-time message-tags');
    await c.next((m) => m.verb === 'CAP' && m.params[1] === 'ACK');
    const isupport = c.lines.filter((l) => / 005 /.test(l)).join(' ');
    expect(isupport).toContain('CHATHISTORY=200');
    expect(isupport).toContain('MSGREFTYPES=msgid,timestamp');

    /** Sends a CHATHISTORY line and reads its batch: the texts, in order. */
    const history = async (line: string): Promise<string[]> => {
      c.send(line);
      const open = await c.next((m) => m.verb === 'BATCH' && m.params[0]!.startsWith('+'));
      expect(open.params[1]).toBe('chathistory');
      const id = open.params[0]!.slice(1);
      const texts: string[] = [];
      for (;;) {
        const m = await c.next((x) => x.tags.get('batch') === id || (x.verb === 'BATCH' && x.params[0] === `-${id}`));
        if (m.verb === 'BATCH') return texts;
        texts.push(m.params[1]!);
      }
    };
    const t = (i: number) => `p${i}`;
    const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, k) => t(a + k));
    const msgid = (i: number) => `msgid=${sent[i - 1]!.id}`;

    expect(await history('CHATHISTORY LATEST #past * 5')).toEqual(range(8, 12));
    expect(await history(`CHATHISTORY LATEST #past ${msgid(10)} 50`)).toEqual(range(11, 12));
    expect(await history(`CHATHISTORY BEFORE #past ${msgid(5)} 3`)).toEqual(range(2, 4));
    expect(await history(`CHATHISTORY AFTER #past ${msgid(5)} 3`)).toEqual(range(6, 8));
    expect(await history(`CHATHISTORY AROUND #past ${msgid(6)} 3`)).toEqual(range(5, 7));
    expect(await history(`CHATHISTORY BETWEEN #past ${msgid(2)} ${msgid(6)} 10`)).toEqual(range(3, 5));
    expect(await history(`CHATHISTORY BETWEEN #past ${msgid(9)} ${msgid(3)} 2`)).toEqual(range(7, 8));
    expect(await history('CHATHISTORY AFTER #past msgid=not-a-real-id 10')).toEqual([]);
    expect(await history('CHATHISTORY LATEST someone * 10')).toEqual([]);
    // By time: messages stamped strictly after, or strictly before.
    const at = new Date(sent[5]!.ts).toISOString();
    const after = await history(`CHATHISTORY AFTER #past timestamp=${at} 50`);
    expect(after).toEqual(sent.filter((m) => m.ts > sent[5]!.ts).map((m) => m.text));
    const before = await history(`CHATHISTORY BEFORE #past timestamp=${at} 50`);
    expect(before).toEqual(sent.filter((m) => m.ts < sent[5]!.ts).map((m) => m.text));

    c.send('CHATHISTORY LATEST #past * zero');
    expect(await c.next('FAIL')).toMatchObject({ params: ['CHATHISTORY', 'INVALID_PARAMS', 'LATEST', 'Invalid limit'] });
    c.send('CHATHISTORY SIDEWAYS #past * 5');
    expect(await c.next('FAIL')).toMatchObject({ params: ['CHATHISTORY', 'UNKNOWN_COMMAND', 'SIDEWAYS', expect.any(String)] });
    c.send('CHATHISTORY BEFORE #past');
    expect(await c.next('FAIL')).toMatchObject({ params: ['CHATHISTORY', 'NEED_MORE_PARAMS', 'BEFORE', expect.any(String)] });
    c.send('CHATHISTORY BEFORE #past yesterday 5');
    expect(await c.next('FAIL')).toMatchObject({ params: ['CHATHISTORY', 'INVALID_PARAMS', 'BEFORE', expect.stringContaining('yesterday')] });
    // A client that fetches history itself is not sent it on JOIN.
    c.send('JOIN #past');
    await c.next('366');
    expect((await c.sync()).filter((m) => m.verb === 'PRIVMSG' || m.verb === 'BATCH')).toEqual([]);
  });
});
