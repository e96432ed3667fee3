/**
 * Small real filesystems for fault tests: a tmpfs of a few MB fills up for real, and remounted read-only
 * it refuses writes for real; a loop-mounted ext4 can be frozen (fsfreeze), which makes every write to
 * it hang as a dead disk does. Mounting needs root (CAP_SYS_ADMIN); `canMount` says whether we have it.
 */
import { execFileSync } from 'node:child_process';
import { rmSync, truncateSync, writeFileSync } from 'node:fs';
import { makeTempDir } from './server.js';

function tryMount(dir: string, sizeMb: number): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m,mode=0755`, 'tmpfs', dir], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

/** Whether this process may mount a tmpfs (checked once, with a real mount). */
export const canMount: boolean = (() => {
  const dir = makeTempDir('chat-mount-probe-');
  const ok = tryMount(dir, 1);
  if (ok) unmount(dir);
  rmSync(dir, { recursive: true, force: true });
  return ok;
})();

/** A fresh tmpfs of `sizeMb` mounted on a new temp folder; unmount() it when done. */
export function mountTmpfs(sizeMb: number): string {
  const dir = makeTempDir('chat-tmpfs-');
  if (!tryMount(dir, sizeMb)) throw new Error(`cannot mount a tmpfs on ${dir}`);
  return dir;
}

export function remountReadOnly(dir: string): void {
  execFileSync('mount', ['-o', 'remount,ro', dir], { stdio: 'pipe' });
}

/** Unmounts (lazily, should a file still be open) and removes the mount point. */
export function unmount(dir: string): void {
  execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
  rmSync(dir, { recursive: true, force: true });
}

/** A small ext4 on a loop device, which (unlike tmpfs) can be frozen; null when this machine cannot. */
export function mountFreezable(sizeMb: number): { dir: string; unmount(): void } | null {
  if (!canMount) return null;
  const dir = makeTempDir('chat-ext4-');
  const image = `${dir}.img`;
  try {
    writeFileSync(image, '');
    truncateSync(image, sizeMb * 1024 * 1024);
    execFileSync('mkfs.ext4', ['-q', '-F', image], { stdio: 'pipe' });
    execFileSync('mount', ['-o', 'loop', image, dir], { stdio: 'pipe' });
  } catch {
    rmSync(image, { force: true });
    rmSync(dir, { recursive: true, force: true });
    return null;
  }
  return {
    dir,
    unmount() {
      thaw(dir);
      execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
      rmSync(image, { force: true });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Every write to the filesystem at `dir` blocks until thaw(). */
export function freeze(dir: string): void {
  execFileSync('fsfreeze', ['--freeze', dir], { stdio: 'pipe' });
}

/** Lets writes through again; harmless if not frozen. */
export function thaw(dir: string): void {
  try {
    execFileSync('fsfreeze', ['--unfreeze', dir], { stdio: 'pipe' });
  } catch {
    // Not frozen.
  }
}
