/** Drives the real client in a detached tmux server with its own socket, so tests never touch the user's tmux. */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { waitFor } from './helpers.js';

const run = promisify(execFile);

export class Tmux {
  /**
   * The clients' home: XDG_CONFIG_HOME, XDG_STATE_HOME and XDG_DATA_HOME point below it, so what a client
   * remembers between runs stays in this test and never reads or writes the user's own files.
   */
  readonly home: string;

  constructor(readonly socket: string) {
    this.home = mkdtempSync(path.join(tmpdir(), 'chat-tmux-home-'));
  }

  /** `-e` options that give a session this test's home. */
  private environment(): string[] {
    return [['HOME', this.home], ['XDG_CONFIG_HOME', `${this.home}/config`], ['XDG_STATE_HOME', `${this.home}/state`], ['XDG_DATA_HOME', `${this.home}/data`]]
      .flatMap(([k, v]) => ['-e', `${k}=${v}`]);
  }

  async tmux(...args: string[]): Promise<string> {
    const { stdout } = await run('tmux', ['-L', this.socket, ...args]);
    return stdout;
  }

  /**
   * Starts `command` in a new detached session of a fixed size. After the command ends, the shell prints
   * its exit code on the (restored) normal screen and the pane stays, so exitCode() can read it; tmux's own
   * pane_dead_status is not always set in time.
   */
  async start(session: string, command: string, width = 100, height = 30): Promise<void> {
    const wrapped = `${command}; echo "[exited with $?]"`;
    await this.tmux('-f', '/dev/null', 'new-session', '-d', '-s', session, '-x', String(width), '-y', String(height), ...this.environment(), wrapped);
    await this.tmux('set-option', '-t', session, 'remain-on-exit', 'on');
  }

  /**
   * Waits for the command in `session` to end and returns its exit code. It reads the scrollback too:
   * when the pane dies, tmux writes "Pane is dead" on a new bottom row, which scrolls the top row off.
   */
  async exitCode(session: string, timeoutMs = 5000): Promise<number> {
    const screen = await this.waitForScreen(session, 'the client to exit', (s) => /\[exited with \d+\]/.test(s), timeoutMs, true);
    return Number(/\[exited with (\d+)\]/.exec(screen)![1]);
  }

  /** The screen with the scrollback above it. */
  async screenWithHistory(session: string): Promise<string> {
    return this.tmux('capture-pane', '-p', '-S', '-', '-t', session);
  }

  async type(session: string, text: string): Promise<void> {
    await this.tmux('send-keys', '-t', session, '-l', text);
  }

  async keys(session: string, ...keys: string[]): Promise<void> {
    await this.tmux('send-keys', '-t', session, ...keys);
  }

  async screen(session: string): Promise<string> {
    return this.tmux('capture-pane', '-p', '-t', session);
  }

  async display(session: string, format: string): Promise<string> {
    return (await this.tmux('display-message', '-p', '-t', session, format)).trim();
  }

  /** Polls the screen until `check` holds; on timeout the error shows the last screen. */
  async waitForScreen(session: string, what: string, check: (screen: string) => boolean, timeoutMs = 10_000, withHistory = false): Promise<string> {
    let last = '';
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      last = withHistory ? await this.screenWithHistory(session) : await this.screen(session);
      if (check(last)) return last;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} on ${session}'s screen:\n${last}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async resize(session: string, width: number, height: number): Promise<void> {
    await this.tmux('resize-window', '-t', session, '-x', String(width), '-y', String(height));
  }

  /**
   * Ends this tmux server and removes its socket file, which kill-server leaves behind, and the home. The
   * clients still running save what they remember as they go (on SIGHUP), so the home is removed only
   * once every process that ran in a pane has ended.
   */
  async kill(): Promise<void> {
    const panes = (await this.tmux('list-panes', '-a', '-F', '#{pane_pid}').catch(() => '')).split('\n').filter(Boolean).map(Number);
    const running = await descendants(panes);
    await this.tmux('kill-server').catch(() => undefined);
    const dir = path.join(process.env.TMUX_TMPDIR ?? '/tmp', `tmux-${process.getuid?.() ?? 0}`);
    rmSync(path.join(dir, this.socket), { force: true });
    await waitFor('the clients to exit', () => running.every((pid) => !alive(pid)), 10_000).catch(() => undefined);
    rmSync(this.home, { recursive: true, force: true, maxRetries: 5 });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** `roots` and every process below them. */
async function descendants(roots: number[]): Promise<number[]> {
  const { stdout } = await run('ps', ['-eo', 'pid=,ppid=']).catch(() => ({ stdout: '' }));
  const children = new Map<number, number[]>();
  for (const line of stdout.split('\n')) {
    const [pid, ppid] = line.trim().split(/\s+/).map(Number);
    if (pid && ppid !== undefined) children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  }
  const all: number[] = [];
  const walk = (pid: number) => {
    all.push(pid);
    for (const child of children.get(pid) ?? []) walk(child);
  };
  roots.forEach(walk);
  return all;
}

export { waitFor };
