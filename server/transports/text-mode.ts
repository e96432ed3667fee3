/**
 * The TCP text mode for nc/telnet users: a nick prompt, then lines that are either slash commands or
 * text for the current room, with every event rendered as a readable line.
 */
import type { Socket } from 'node:net';
import { ErrorCode } from '../../shared/errors.js';
import { MAX_FRAME_BYTES } from '../../shared/limits.js';
import { caseFold } from '../../shared/validate.js';
import type { ServerMessage } from '../../shared/protocol.js';
import type { Outgoing } from '../outgoing.js';
import type { Session } from '../session.js';
import { SocketPeer, type PeerHost, type Refusal } from './socket-peer.js';
import { TelnetLineDecoder } from './telnet.js';
import { readTextLine } from './text-input.js';
import { renderText } from './text-render.js';

export const NICK_PROMPT = '*** Choose a nick: ';

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
    const text = out.text(renderText) + this.whereLinesGo(out.messages);
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
   * After we leave the room plain lines went to, where they go now: a person should not find out by
   * talking in the wrong room.
   */
  private whereLinesGo(messages: readonly ServerMessage[]): string {
    const session = this.session;
    const parted = messages.find((m) => m.type === 'left' && !m.quit && m.nick === this.nick);
    if (!session || !parted || parted.type !== 'left') return '';
    const key = caseFold(parted.room);
    const explicit = this.room !== undefined && session.rooms.some((r) => r.key === this.room);
    if (explicit && this.room !== key) return '';
    const now = this.currentRoom(session);
    return now ? `*** Lines you type now go to ${now}\r\n` : '*** You are in no room now: /join #room to talk\r\n';
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
    const passwordFor = this.passwordFor !== null && this.tried !== null ? this.tried : undefined;
    const outcome = readTextLine(bytes, { registered: session.registered, room: this.currentRoom(session), ...(passwordFor ? { passwordFor } : {}) });
    if (outcome.kind === 'message' && outcome.message.type === 'hello') {
      this.passwordFor = null;
      this.tried = outcome.message.nick;
    }
    // Help is answered here; like every line it came through the gate, and its output is bounded like any other.
    if (outcome.kind === 'help') this.write(`${outcome.text.replace(/\n/g, '\r\n')}\r\n`);
    else if (outcome.kind === 'refuse') dispatcher.refuse(session, outcome.code, outcome.message);
    else if (outcome.kind === 'message') {
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
