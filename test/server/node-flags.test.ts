/**
 * The server runs with the same Node flags however it is started: `npm start`, the `chat-server` bin
 * (its shebang) and the benchmark. The bin is run for real to show the shebang passes them to Node.
 */
import { execFile } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { SERVER_NODE_FLAGS } from '../../bench/targets/ours.js';
import { makeTempDir, removeDir, ROOT, SERVER_MAIN } from '../helpers/server.js';

const run = promisify(execFile);

describe('the server’s Node flags', () => {
  it('npm start, the bin’s shebang and the benchmark give Node the same flags', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.start).toBe(`node ${SERVER_NODE_FLAGS.join(' ')} dist/server/main.js`);
    const shebang = readFileSync(SERVER_MAIN, 'utf8').split('\n')[0];
    expect(shebang).toBe(`#!/usr/bin/env -S node ${SERVER_NODE_FLAGS.join(' ')}`);
  });

  it('the shebang starts Node with them', async () => {
    // A script with the bin's first line, made executable as npm does for a bin, run for real.
    const dir = makeTempDir('chat-flags-');
    try {
      const probe = path.join(dir, 'probe.js');
      const shebang = readFileSync(SERVER_MAIN, 'utf8').split('\n')[0]!;
      writeFileSync(probe, `${shebang}\nconsole.log(JSON.stringify(process.execArgv));\n`);
      chmodSync(probe, 0o755);
      const { stdout } = await run(probe, [], { timeout: 10_000 });
      expect(JSON.parse(stdout)).toEqual(SERVER_NODE_FLAGS);
    } finally {
      removeDir(dir);
    }
  });
});
