// The root filesystem of a sibling "container" for the pod imitation: a static busybox (to hold the
// container open, as the hold binary does in a pod) and the image's files at their paths in the image.
import { chmodSync, copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Builds `root` with copies of `files` (path in the image -> host file); files already there stay. */
export function containerRoot(root: string, files: Record<string, string>): string {
  mkdirSync(join(root, 'bin'), { recursive: true, mode: 0o755 });
  chmodSync(root, 0o755);
  if (!existsSync(join(root, 'bin', 'busybox'))) copyFileSync('/bin/busybox', join(root, 'bin', 'busybox'));
  chmodSync(join(root, 'bin', 'busybox'), 0o755);
  for (const [inImage, source] of Object.entries(files)) {
    const target = join(root, inImage);
    mkdirSync(dirname(target), { recursive: true, mode: 0o755 });
    if (existsSync(target)) continue;
    copyFileSync(source, target);
  }
  return root;
}
