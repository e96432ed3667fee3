import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { nickFromLogin, parseCli } from '../../client/cli.js';
import { makeCertificates } from '../helpers/certs.js';
import { makeTempDir, removeDir, ROOT } from '../helpers/server.js';
import { mkdirSync, writeFileSync } from 'node:fs';

describe('the client command line', () => {
  it('defaults to ws://127.0.0.1:7878 and the login name made into a valid nick', () => {
    expect(parseCli([], 'alice')).toEqual({ kind: 'run', address: { kind: 'ws', url: 'ws://127.0.0.1:7878/' }, nick: 'alice', config: {} });
    expect(nickFromLogin('john.doe')).toBe('johndoe');
    expect(nickFromLogin('1st-user')).toBe('st-user');
    expect(nickFromLogin('ユーザー')).toBe('guest');
    expect(nickFromLogin('a'.repeat(40))).toHaveLength(24);
  });

  it('takes a ws:// or tcp:// address and --nick', () => {
    expect(parseCli(['tcp://127.0.0.1:7879', '--nick', 'bob'], 'x')).toEqual({
      kind: 'run', address: { kind: 'tcp', host: '127.0.0.1', port: 7879 }, nick: 'bob', config: {},
    });
    expect(parseCli(['localhost:9000', '-n', 'bob'], 'x')).toMatchObject({ address: { kind: 'ws', url: 'ws://localhost:9000/' } });
  });

  it('gives a bare host or a tcp:// host without a port the server\'s default ports', () => {
    expect(parseCli(['chat.example.org'], 'x')).toMatchObject({ address: { kind: 'ws', url: 'ws://chat.example.org:7878/' } });
    expect(parseCli(['127.0.0.1'], 'x')).toMatchObject({ address: { kind: 'ws', url: 'ws://127.0.0.1:7878/' } });
    expect(parseCli(['ws://[::1]'], 'x')).toMatchObject({ address: { kind: 'ws', url: 'ws://[::1]:7878/' } });
    expect(parseCli(['tcp://chat.example.org'], 'x')).toMatchObject({ address: { kind: 'tcp', host: 'chat.example.org', port: 7879 } });
    // An explicit port stays, even the scheme's default; wss:// without a port is a TLS proxy on 443.
    expect(parseCli(['ws://h:80'], 'x')).toMatchObject({ address: { kind: 'ws', url: 'ws://h/' } });
    expect(parseCli(['wss://h'], 'x')).toMatchObject({ address: { kind: 'ws', url: 'wss://h/' } });
  });

  it('reads the config file from XDG_CONFIG_HOME or --config, under the arguments', () => {
    const dir = makeTempDir('chat-config-');
    try {
      mkdirSync(path.join(dir, 'chat'));
      const file = path.join(dir, 'chat', 'config.json');
      writeFileSync(file, JSON.stringify({ server: 'tcp://chat.example.org', nick: 'fromfile', rooms: ['dev', '#Ops'], highlights: ['deploy'], logs: true }));
      const env = { XDG_CONFIG_HOME: dir };
      expect(parseCli([], 'x', env)).toEqual({
        kind: 'run', address: { kind: 'tcp', host: 'chat.example.org', port: 7879 }, nick: 'fromfile', configFile: file,
        config: { server: 'tcp://chat.example.org', nick: 'fromfile', rooms: ['#dev', '#Ops'], highlights: ['deploy'], logs: true },
      });
      expect(parseCli(['ws://other:1', '-n', 'argnick'], 'x', env)).toMatchObject({ address: { url: 'ws://other:1/' }, nick: 'argnick' });
      // No file is fine by default, but one named with --config must be there.
      expect(parseCli([], 'x', { XDG_CONFIG_HOME: path.join(dir, 'nothing') })).toMatchObject({ kind: 'run', config: {} });
      expect(parseCli(['--config', path.join(dir, 'missing.json')], 'x')).toMatchObject({ kind: 'error', message: expect.stringContaining('cannot read the config file') });
      const bad = path.join(dir, 'bad.json');
      for (const [text, message] of [
        ['{"nick": "bad nick"}', `in ${bad}: "nick" must be a valid nick`],
        ['{"rooms": ["#ok", "no way"]}', `in ${bad}: "rooms" has a bad room name: no way`],
        ['{"colour": "red"}', `in ${bad}: "colour" is not a setting (known: server, nick, rooms, highlights, bell, logs, remember, theme, time, password, ca)`],
        ['{"theme": "blue"}', `in ${bad}: "theme" must be "dark", "light" or "mono"`],
        ['{"time": "%H:%Q"}', `in ${bad}: "time" has an unknown code %Q (known: %H %M %S %I %l %p %P %%)`],
        ['{"time": "%H:%"}', `in ${bad}: "time" has an unknown code % (known:`],
        ['{"time": 24}', `in ${bad}: "time" must be a time pattern such as "%H:%M"`],
        ['{"time": "%H\\u001b[2J"}', `in ${bad}: "time" must not hold control characters`],
        ['[1]', `the config file ${bad} must hold one JSON object`],
        ['{nick:', `the config file ${bad} is not valid JSON`],
      ] as const) {
        writeFileSync(bad, text);
        expect(parseCli(['-c', bad], 'x')).toMatchObject({ kind: 'error', message: expect.stringContaining(message) });
      }
    } finally {
      removeDir(dir);
    }
  });

  it('takes tls:// and wss:// with a private CA from --ca or the config file, checked before connecting', () => {
    const dir = makeTempDir('chat-ca-');
    try {
      const certs = makeCertificates(dir);
      expect(parseCli(['tls://127.0.0.1:7000', '--ca', certs.ca], 'x')).toEqual({
        kind: 'run', address: { kind: 'tcp', host: '127.0.0.1', port: 7000, tls: true }, nick: 'x', config: {}, ca: certs.caPem,
      });
      expect(parseCli(['tls://chat.example.org'], 'x')).toMatchObject({ address: { kind: 'tcp', host: 'chat.example.org', port: 7879, tls: true } });
      expect(parseCli(['tls://chat.example.org'], 'x')).not.toHaveProperty('ca');
      expect(parseCli(['wss://127.0.0.1:7000'], 'x')).toMatchObject({ address: { kind: 'ws', url: 'wss://127.0.0.1:7000/' } });
      // In the config file, a relative path is from the file's folder; --ca wins over it.
      mkdirSync(path.join(dir, 'chat'));
      writeFileSync(path.join(dir, 'chat', 'config.json'), JSON.stringify({ server: 'tls://127.0.0.1:7000', ca: '../ca.pem' }));
      expect(parseCli([], 'x', { XDG_CONFIG_HOME: dir })).toMatchObject({ kind: 'run', ca: certs.caPem, config: { ca: certs.ca } });
      const other = path.join(dir, 'other.pem');
      writeFileSync(other, certs.caPem);
      expect(parseCli(['--ca', other], 'x', { XDG_CONFIG_HOME: dir })).toMatchObject({ kind: 'run', ca: certs.caPem });
      expect(parseCli(['--ca', path.join(dir, 'missing.pem')], 'x')).toMatchObject({ kind: 'error', message: expect.stringMatching(/^cannot read the CA file .*missing\.pem: ENOENT/) });
      expect(parseCli(['--ca', path.join(dir, 'ca.key')], 'x')).toEqual({ kind: 'error', message: `the CA file ${path.join(dir, 'ca.key')} holds no PEM certificate (-----BEGIN CERTIFICATE-----)` });
      writeFileSync(path.join(dir, 'chat', 'config.json'), JSON.stringify({ ca: 7 }));
      expect(parseCli([], 'x', { XDG_CONFIG_HOME: dir })).toMatchObject({ kind: 'error', message: expect.stringContaining('"ca" must be the path of a PEM CA certificate') });
    } finally {
      removeDir(dir);
    }
  });

  it('explains bad arguments in plain words, and checks the nick before connecting', () => {
    expect(parseCli(['--bogus'], 'x')).toEqual({ kind: 'error', message: 'unknown option --bogus; try --help' });
    expect(parseCli(['--nick'], 'x')).toEqual({ kind: 'error', message: '--nick needs a value; try --help' });
    expect(parseCli(['--nick', 'bad nick'], 'x')).toEqual({ kind: 'error', message: '"bad nick" is not a valid nick: a letter, then up to 23 letters, digits or _-[]\\^{}|' });
    expect(parseCli(['--version'], 'x')).toMatchObject({ kind: 'help', text: expect.stringMatching(/^chat \d+\.\d+\.\d+$/) });
    expect(parseCli(['http://x:1'], 'x')).toEqual({ kind: 'error', message: 'unsupported scheme http: (use ws://, wss://, tcp:// or tls://)' });
    expect(parseCli(['tcp://'], 'x')).toMatchObject({ kind: 'error' });
    expect(parseCli(['a:1', 'b:2'], 'x')).toMatchObject({ kind: 'error' });
  });

  it('prints --help with every key and command, and refuses to run without a terminal', async () => {
    const main = path.join(ROOT, 'dist/client/main.js');
    const { stdout } = await promisify(execFile)(process.execPath, [main, '--help']);
    for (const text of ['--nick', 'Alt+1..9', 'Ctrl+N', 'PgUp', 'Tab', '/join', '/msg', '/quit', 'NO_COLOR', '/close', 'Alt+Enter', '--ca FILE', 'tls://']) expect(stdout).toContain(text);
    // The Commands block is indented like the Keys block.
    expect(stdout).toMatch(/^Commands:\n {2}\/join #room/m);
    const failed = await promisify(execFile)(process.execPath, [main]).catch((err: { code: number; stderr: string }) => err);
    expect(failed).toMatchObject({ code: 2, stderr: expect.stringContaining('needs a terminal') });
  });
});
