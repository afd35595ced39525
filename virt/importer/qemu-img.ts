// qemu-img, the one tool that reads every image format: `info` for what an image says it is, `convert` to
// raw with progress (-p), run as child processes whose errors carry qemu-img's own words.
import { spawn } from 'node:child_process';
import { ImportError } from './import-error.js';

export interface ImageInfo {
  format: string;
  virtualSize: number;
  backingFile?: string;
}

function run(args: string[], onStdout?: (s: string) => void, signal?: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('qemu-img', args, { stdio: ['ignore', 'pipe', 'pipe'], ...(signal ? { signal } : {}) });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      const s = d.toString();
      out += s;
      onStdout?.(s);
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.on('error', (e) => reject(new ImportError('config', `cannot run qemu-img (is qemu-utils installed in the importer image?): ${e.message}`, { cause: e })));
    child.on('close', (code) => {
      if (code === 0) resolve(out);
      else reject(new ImportError('format', `qemu-img ${args[0]} failed: ${(err || out).trim().split('\n').pop() ?? `exit ${code}`}`));
    });
  });
}

export async function imageInfo(path: string, format?: string): Promise<ImageInfo> {
  const out = await run(['info', '--output=json', ...(format ? ['-f', format] : []), path]);
  const j = JSON.parse(out) as { format: string; 'virtual-size': number; 'backing-filename'?: string };
  return { format: j.format, virtualSize: j['virtual-size'], ...(j['backing-filename'] ? { backingFile: j['backing-filename'] } : {}) };
}

/** qemu-img convert to a sparse raw file; `onProgress` gets 0..100 as qemu-img reports it. */
export async function convertToRaw(src: string, srcFormat: string, dst: string, onProgress?: (pct: number) => void, signal?: AbortSignal): Promise<void> {
  await run(['convert', '-p', '-t', 'writeback', '-f', srcFormat, '-O', 'raw', src, dst], (s) => {
    const m = [...s.matchAll(/\((\d+(?:\.\d+)?)\/100%\)/g)].pop();
    if (m && onProgress) onProgress(Number(m[1]));
  }, signal);
}
