#!/usr/bin/env node
/** The terminal chat client: wires the network layer, the state store and the UI. No logic of its own. */
import os from 'node:os';
import path from 'node:path';
import { parseCli } from './cli.js';
import { describeAddress } from './net/address.js';
import { ChatClient } from './net/chat-client.js';
import { ReadSync } from './net/read-sync.js';
import { ChatLog } from './persist/chat-log.js';
import { EMPTY_MEMORY, loadMemory, MemoryKeeper, memoryFile } from './persist/memory.js';
import { fileNameFor, logDir } from './persist/paths.js';
import { READ_REF } from './state/read-markers.js';
import { rememberedFrom } from './state/remember.js';
import { Store } from './state/store.js';
import { ChatScreen } from './ui/chat-screen.js';
import { openTerminal } from './ui/terminal-session.js';
import { TerminalWriter } from './ui/terminal.js';
import { themeFor } from './ui/theme.js';
import { configuredTimeFormat } from './ui/time-format.js';
import { feedStore, runEffects, syncReads } from './wiring.js';

function loginName(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER ?? 'guest';
  }
}

const cli = parseCli(process.argv.slice(2), loginName(), process.env);
if (cli.kind === 'help') {
  process.stdout.write(`${cli.text}\n`);
  process.exit(0);
}
if (cli.kind === 'error') {
  process.stderr.write(`chat: ${cli.message}\n`);
  process.exit(2);
}
if (!process.stdin.isTTY || !process.stdout.isTTY) {
  process.stderr.write('chat: needs a terminal (stdin and stdout must be a TTY)\n');
  process.exit(2);
}

const server = describeAddress(cli.address);
const remember = cli.config.remember !== false;
const memoryPath = memoryFile(process.env, server, cli.nick);
const memory = remember ? loadMemory(memoryPath) : EMPTY_MEMORY;
const password = process.env.CHAT_PASSWORD || cli.config.password;
const client = new ChatClient({
  address: cli.address, nick: cli.nick, autojoin: [...(cli.config.rooms ?? []), ...memory.rooms], ca: cli.ca, ...(password ? { password } : {}),
});
const store = new Store(client.server, cli.nick, cli.config.highlights ?? []);
store.dispatch({ type: 'restore', memory });
syncReads(client, store, new ReadSync((room, seq) => client.sendIfOnline({ type: 'read', room, seq, ref: READ_REF })));
feedStore(client, store);
const log = cli.config.logs ? new ChatLog(path.join(logDir(process.env), fileNameFor(server)), () => store.state.me) : undefined;
if (log) client.onEvent((event) => { if (event.type === 'message') log.record(event.msg); });

let quitting = false;
async function quit(reason?: string): Promise<void> {
  if (quitting) return;
  quitting = true;
  await client.stop(reason);
  keeper?.flushNow();
  log?.close();
  terminal.restore();
  process.exit(0);
}

const terminal = openTerminal({
  onKey: (ch, key) => screen.key(ch, key),
  onWheel: (direction) => screen.wheel(direction),
  onResize: () => screen.resized(),
  onPaste: (text, cut) => screen.paste(text, cut),
  onNewline: () => screen.newline(),
});
const writer = new TerminalWriter(terminal.write);
const screen = new ChatScreen(store, writer, terminal.size, themeFor(process.env, cli.config.theme), (effects) => {
  runEffects(effects, client, (reason) => void quit(reason));
}, { bell: cli.config.bell !== 'off', clock: configuredTimeFormat(cli.config.time) });
screen.input.loadHistory(memory.history);
const keeper = remember ? new MemoryKeeper(memoryPath, () => rememberedFrom(store.state, screen.input.entries)) : undefined;
if (keeper) store.subscribe(() => keeper.changed());

for (const signal of ['SIGTERM', 'SIGHUP', 'SIGINT'] as const) process.on(signal, () => void quit());
// The terminal went away (a closed ssh session): nothing left to draw on or restore.
process.stdout.on('error', () => void client.stop().finally(() => process.exit(0)));
process.on('uncaughtException', (err) => {
  keeper?.flushNow();
  terminal.restore();
  process.stderr.write(`chat: ${err.stack ?? err.message}\n`);
  process.exit(1);
});

writer.invalidate();
screen.draw();
client.start();
