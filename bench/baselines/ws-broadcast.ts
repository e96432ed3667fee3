/**
 * The tutorial `ws` broadcast server, as a user writes it in an afternoon, speaking just enough of our
 * protocol for the generator: hello, join, say (echoed as `message` to the room), ping.
 * Run: node dist/bench/baselines/ws-broadcast.js [port]
 */
import { WebSocketServer, WebSocket } from 'ws';

interface Client extends WebSocket {
  nick?: string;
  rooms?: Set<string>;
}

const port = Number(process.argv[2] ?? 0);
const wss = new WebSocketServer({ host: '127.0.0.1', port });
let seq = 0;

wss.on('connection', (ws: Client) => {
  ws.rooms = new Set();
  ws.on('message', (data) => {
    let msg: { type?: string; nick?: string; room?: string; text?: string; ref?: string };
    try {
      msg = JSON.parse(String(data)) as typeof msg;
    } catch {
      return;
    }
    if (msg.type === 'hello') {
      ws.nick = msg.nick;
      ws.send(JSON.stringify({ type: 'welcome', sid: String(Date.now()), nick: msg.nick, server: 'tutorial', version: 1 }));
    } else if (msg.type === 'join' && msg.room) {
      ws.rooms!.add(msg.room);
      ws.send(JSON.stringify({ type: 'joined', room: msg.room, nick: ws.nick, ts: Date.now() }));
    } else if (msg.type === 'ping') {
      ws.send(JSON.stringify({ type: 'pong', ref: msg.ref }));
    } else if (msg.type === 'say' && msg.room) {
      seq += 1;
      const ts = Date.now();
      const data = JSON.stringify({ type: 'message', room: msg.room, id: String(seq), seq, from: ws.nick, text: msg.text, ts });
      wss.clients.forEach((c: Client) => {
        if (c.readyState === WebSocket.OPEN && c.rooms!.has(msg.room!)) c.send(data);
      });
      if (msg.ref) ws.send(JSON.stringify({ type: 'ack', ref: msg.ref, id: String(seq), seq, ts }));
    }
  });
});

wss.on('listening', () => {
  const addr = wss.address();
  const p = typeof addr === 'object' && addr ? addr.port : port;
  console.log(`ws-tutorial listening ws://127.0.0.1:${p}`);
});

process.on('SIGTERM', () => process.exit(0));
