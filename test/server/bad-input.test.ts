/** Bad input gets its error code, the sender keeps working, and everyone else is untouched. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JsonClient } from '../helpers/clients.js';
import { removeDir, startServer, type RunningServer } from '../helpers/server.js';

let server: RunningServer;
let bystander: JsonClient;
beforeAll(async () => {
  server = await startServer({ args: ['--abuse-strikes', '3'] });
  bystander = await JsonClient.registered('ws', server.wsUrl, 'bystander');
});
afterAll(async () => { bystander.close(); await server.stop(); removeDir(server.dataDir); });

const KIB = 1024;

describe.each(['ws', 'tcp'] as const)('bad input over %s', (kind) => {
  const nl = kind === 'tcp' ? '\n' : '';
  const connect = (nick: string) => JsonClient.registered(kind, kind === 'ws' ? server.wsUrl : server.tcpPort, `${nick}${kind}`);

  async function stillWorks(c: JsonClient, tag: string): Promise<void> {
    c.send({ type: 'ping', ref: tag });
    expect(await c.next('pong')).toEqual({ type: 'pong', ref: tag });
  }

  const cases: Array<[string, string | Buffer, string, string?]> = [
    ['malformed JSON', '{"type":"say",', 'BAD_JSON'],
    ['a JSON array', '[1,2]', 'BAD_MESSAGE', 'message must be a JSON object'],
    ['a JSON string', '"hello"', 'BAD_MESSAGE', 'message must be a JSON object'],
    ['null', 'null', 'BAD_MESSAGE'],
    ['no type', '{"room":"#lobby"}', 'BAD_MESSAGE', "missing field 'type'"],
    ['an unknown type', '{"type":"fly"}', 'BAD_MESSAGE', "unknown message type 'fly'"],
    ['a missing field', '{"type":"say","room":"#lobby"}', 'BAD_MESSAGE', "missing field 'text'"],
    ['a wrong-typed field', '{"type":"say","room":"#lobby","text":42}', 'BAD_MESSAGE', "field 'text' must be a string"],
    ['control characters', '{"type":"say","room":"#lobby","text":"a\\u001b[2Jb"}', 'TEXT_INVALID'],
    ['text over 4000 characters', JSON.stringify({ type: 'say', room: '#lobby', text: 'x'.repeat(4001) }), 'TEXT_INVALID'],
    ['an over-long room name', JSON.stringify({ type: 'join', room: `#${'r'.repeat(33)}` }), 'ROOM_INVALID'],
    ['an over-long nick', JSON.stringify({ type: 'nick', nick: 'n'.repeat(25) }), 'NICK_INVALID'],
    ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), 'BAD_ENCODING'],
  ];

  const rows = cases.map(([name, payload, code, message], i) => ({ name, payload, code, message, i }));
  it.each(rows)('$name gets $code and the connection keeps working', async ({ payload, code, message, i }) => {
    const c = await connect(`bad${i}`);
    c.sendRaw(typeof payload === 'string' ? payload + nl : Buffer.concat([payload, Buffer.from(nl)]));
    const err = await c.error(code);
    if (message) expect(err.message).toBe(message);
    await stillWorks(c, 'after');
    c.close();
  });

  it('an error carries the ref of the request that caused it', async () => {
    const c = await connect('refd');
    c.sendRaw(`{"type":"say","room":"#nowhere","text":"x","ref":"abc"}${nl}`);
    expect(await c.error('NOT_IN_ROOM')).toMatchObject({ ref: 'abc' });
    c.close();
  });

  it('a 70 KiB frame gets TOO_LARGE and the connection keeps working', async () => {
    const c = await connect('big');
    c.sendRaw(JSON.stringify({ type: 'say', room: '#lobby', text: 'y'.repeat(70 * KIB) }) + nl);
    await c.error('TOO_LARGE');
    await stillWorks(c, 'big-after');
    c.close();
  });

  it('repeated oversize frames are abuse: bye, then close', async () => {
    const c = await connect('abuser');
    const huge = JSON.stringify({ type: 'say', room: '#lobby', text: 'z'.repeat(65 * KIB) }) + nl;
    for (let i = 0; i < 5; i++) c.sendRaw(huge);
    expect(await c.next('bye')).toEqual({ type: 'bye', reason: 'flood' });
    await c.closedPromise;
    expect(await bystander.next((m) => m.type === 'left' && m.nick === `abuser${kind}`)).toMatchObject({ reason: 'flood' });
  });

  it('the server keeps serving others after all of it', async () => {
    const c = await connect('after');
    c.send({ type: 'say', room: '#lobby', text: `still alive ${kind}` });
    expect(await bystander.next((m) => m.type === 'message' && m.text === `still alive ${kind}`)).toMatchObject({ from: `after${kind}` });
    c.close();
  });
});

describe('WebSocket-only faults', () => {
  it('a binary frame gets BAD_MESSAGE and the connection keeps working', async () => {
    const c = (await JsonClient.ws(server.wsUrl)) as JsonClient & { socket: import('ws').WebSocket };
    c.socket.send(Buffer.from('{"type":"ping"}'), { binary: true });
    expect((await c.error('BAD_MESSAGE')).message).toMatch(/binary/);
    c.send({ type: 'ping', ref: 'ok' });
    await c.next('pong');
    c.close();
  });

  it('a frame over the hard 1 MiB cap is cut by the WebSocket layer with 1009', async () => {
    const c = (await JsonClient.ws(server.wsUrl)) as JsonClient & { socket: import('ws').WebSocket };
    const closed = new Promise<number>((resolve) => c.socket.on('close', (code) => resolve(code)));
    c.sendRaw('x'.repeat(1024 * KIB + 1));
    expect(await closed).toBe(1009);
    const other = await JsonClient.registered('ws', server.wsUrl, 'stillfine');
    other.close();
  });
});
