/**
 * The TCP text mode for nc/telnet users: a nick prompt, then lines that are either slash commands or
 * text for the current room, with every event rendered as a readable line.
 */
import type { Socket } from 'node:net';
import { isUtf8 } from 'node:buffer';
import { parseInput } from '../../shared/commands.js';
import { ErrorCode } from '../../shared/errors.js';
import { MAX_FRAME_BYTES } from '../../shared/limits.js';
import { validateClientMessage } from '../../shared/parse.js';
import { caseFold } from '../../shared/validate.js';
import type { ServerMessage } from '../../shared/protocol.js';
import type { Outgoing } from '../outgoing.js';
import type { Session } from '../session.js';
import { SocketPeer, type PeerHost, type Refusal } from './socket-peer.js';
import { TelnetLineDecoder } from './telnet.js';
import { renderText } from './text-render.js';

export const NICK_PROMPT = '*** Choose a nick: ';

// Arrow keys and other terminal escapes a human may type; they are editing noise, not text.
const TERMINAL_NOISE = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-_]?|[\x00-\x08\x0b-\x1f\x7f]/g;

export function banner(serverName: string): string {
  return `*** Welcome to ${serverName}. Lines starting with / are commands (/help lists them).\r\n${NICK_PROMPT}`;
}

const OVERSIZE: Refusal = { refused: ErrorCode.TOO_LARGE, message: `line is over ${MAX_FRAME_BYTES} bytes` };

export class TextPeer extends SocketPeer {
  private nick: string | null = null;
  /** The nick last asked for in hello, until it is granted. */
  private tried: string | null = null;
  /** The next line is a password for `tried`: its account's, or the server's. */
  private passwordFor: 'account' | 'server' | null = null;
  /** The key of the room last joined with /join; see currentRoom(). */
  private room: string | undefined;
  private readonly decoder: TelnetLineDecoder;

  constructor(socket: Socket, remote: string, host: PeerHost) {
    super('tcp-text', remote, socket, host);
    // Empty lines and telnet commands are skipped here, their bytes already charged in push().
    this.decoder = new TelnetLineDecoder(
      MAX_FRAME_BYTES,
      (line) => line.length > 0 && this.input(line),
      () => this.input(OVERSIZE),
      (bytes) => this.write(bytes),
    );
  }

  push(chunk: Buffer): void {
    this.charge(chunk.length);
    this.decoder.push(chunk);
  }

  // A text-mode line carries no ref.
  protected override refOf(): undefined {
    return undefined;
  }

  protected encode(out: Outgoing): string {
    for (const m of out.messages) this.track(m);
    const text = out.text(renderText);
    if (this.nick || out.message.type !== 'error') return text;
    if (this.passwordFor === 'account') return `${text}*** Password for ${this.tried} (or another nick after /nick): `;
    if (this.passwordFor === 'server') return `${text}*** Server password: `;
    return text + NICK_PROMPT;
  }

  /** Follows our own nick from the events we are sent (it decides whether an error re-prompts). */
  private track(m: ServerMessage): void {
    if (m.type === 'welcome') this.nick = m.nick;
    else if (m.type === 'nick' && m.old === this.nick) this.nick = m.new;
    else if (m.type === 'error' && !this.nick) {
      this.passwordFor = m.code === ErrorCode.NICK_REGISTERED || m.code === ErrorCode.LOGIN_FAILED ? 'account'
        : m.code === ErrorCode.PASSWORD_REQUIRED ? 'server' : null;
    }
  }

  /**
   * The room plain text goes to: the last one joined, while we are still in it, else the newest room
   * we are in. Read from the session, not from delivered events, because deliveries lag behind the
   * hub: lines that arrive together ("alice\nhello\n" from a script) must see the join just made.
   */
  private currentRoom(session: Session): string | undefined {
    let last: string | undefined;
    for (const room of session.rooms) {
      if (room.key === this.room) return room.name;
      last = room.name;
    }
    return last;
  }

  protected handleInput(session: Session, bytes: Buffer): void | Promise<void> {
    const { dispatcher } = this.host;
    if (!isUtf8(bytes)) return dispatcher.refuse(session, ErrorCode.BAD_ENCODING, 'line is not valid UTF-8');
    const line = bytes.toString('utf8').replace(TERMINAL_NOISE, '').trim();
    if (line === '') return;
    const nickCommand = /^\/nick\s+(\S+)$/i.exec(line);
    if (!session.registered && this.passwordFor !== null && this.tried !== null && !nickCommand) {
      // The line is the password the last error asked for (never echoed back, nor logged).
      this.passwordFor = null;
      const hello = validateClientMessage({ type: 'hello', nick: this.tried, password: line, client: 'text' });
      if (!hello.ok) return dispatcher.refuse(session, hello.error.code, hello.error.message);
      return dispatcher.receive(session, hello.value);
    }
    if (!session.registered && (!line.startsWith('/') || nickCommand)) {
      this.passwordFor = null;
      this.tried = nickCommand?.[1] ?? line;
      const hello = validateClientMessage({ type: 'hello', nick: this.tried, client: 'text' });
      if (!hello.ok) return dispatcher.refuse(session, hello.error.code, hello.error.message);
      return dispatcher.receive(session, hello.value);
    }
    const outcome = parseInput(line, { room: this.currentRoom(session) });
    // Help is answered here; like every line it came through the gate, and its output is bounded like any other.
    if (outcome.kind === 'help') this.write(`${outcome.text.replace(/\n/g, '\r\n')}\r\n`);
    else if (outcome.kind === 'error') dispatcher.refuse(session, outcome.code ?? ErrorCode.BAD_MESSAGE, outcome.message);
    else {
      const handled = dispatcher.receive(session, outcome.message);
      // A join (new or repeated) makes that room current as soon as the hub has us in it.
      if (outcome.message.type === 'join') {
        const key = caseFold(outcome.message.room);
        const enter = () => {
          if (session.rooms.some((r) => r.key === key)) this.room = key;
        };
        if (handled) return handled.then(enter);
        enter();
      }
      return handled;
    }
  }
}
