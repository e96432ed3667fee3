/**
 * What the generator says and listens for, per protocol. Set-up replies are classified here; during
 * load only the tokens in the byte stream matter.
 */
export type SetupEvent =
  | { kind: 'registered' }
  | { kind: 'joined' }
  | { kind: 'reply'; text: string }
  | { kind: 'failed'; reason: string }
  | null;

export interface Dialect {
  /** True when a sender receives its own room messages (ours and the ws tutorial; not IRC). */
  readonly echoesOwn: boolean;
  /** Line terminator for stream transports; unused for WebSocket frames. */
  readonly eol: string;
  register(nick: string): string[];
  /** Commands that join `room` and then make the server answer with an event that says joined. */
  join(room: string, seq: number): string[];
  say(room: string, text: string, ref: string | null): string;
  classify(text: string): SetupEvent;
}
