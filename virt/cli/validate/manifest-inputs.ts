// Turns the -f arguments into the texts to check: a file as named, a directory walked recursively for
// manifests, `-` for standard input. A path that cannot be read is reported by name, never thrown.
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';

export interface ManifestInput {
  /** The name printed in FILE:LINE — the path as the user spelled it, or <stdin>. */
  file: string;
  text: string;
}

export interface UnreadablePath {
  file: string;
  message: string;
}

export interface ResolvedInputs {
  inputs: ManifestInput[];
  unreadable: UnreadablePath[];
}

export const STDIN_NAME = '<stdin>';
export const MANIFEST_EXTENSIONS: readonly string[] = ['.yaml', '.yml', '.json'];

export async function resolveInputs(paths: readonly string[], readStdin: () => Promise<string>): Promise<ResolvedInputs> {
  const result: ResolvedInputs = { inputs: [], unreadable: [] };
  let stdinRead = false;
  for (const path of paths) {
    if (path === '-') {
      if (stdinRead) {
        result.unreadable.push({ file: STDIN_NAME, message: 'standard input was already read by an earlier -f -; name it once' });
        continue;
      }
      stdinRead = true;
      try {
        result.inputs.push({ file: STDIN_NAME, text: await readStdin() });
      } catch (err) {
        result.unreadable.push({ file: STDIN_NAME, message: `cannot read standard input: ${describeFsError(err)}` });
      }
      continue;
    }
    await addPath(path, result);
  }
  return result;
}

async function addPath(path: string, result: ResolvedInputs): Promise<void> {
  let info;
  try {
    info = await stat(path);
  } catch (err) {
    result.unreadable.push({ file: path, message: describeFsError(err) });
    return;
  }
  if (!info.isDirectory()) {
    await addFile(path, result);
    return;
  }
  const files: string[] = [];
  await walk(path, files, new Set(), result);
  if (files.length === 0) {
    // A validation gate pointed at the wrong folder must not pass by checking nothing.
    result.unreadable.push({ file: path, message: `no manifests found: the directory has no ${MANIFEST_EXTENSIONS.map((e) => `*${e}`).join(', ')} files` });
    return;
  }
  for (const f of files) await addFile(f, result);
}

async function addFile(path: string, result: ResolvedInputs): Promise<void> {
  try {
    result.inputs.push({ file: path, text: await readFile(path, 'utf8') });
  } catch (err) {
    result.unreadable.push({ file: path, message: describeFsError(err) });
  }
}

/**
 * Sorted so output is stable across runs and machines. Hidden entries (.git, .github) and node_modules are
 * skipped: their YAML and JSON are CI configuration and packages, never manifests. Symlinked directories are
 * followed once (a loop would never end).
 */
async function walk(dir: string, files: string[], seen: Set<string>, result: ResolvedInputs): Promise<void> {
  let real: string;
  let entries: string[];
  try {
    real = await realpath(dir);
    if (seen.has(real)) return;
    seen.add(real);
    entries = (await readdir(dir)).sort();
  } catch (err) {
    result.unreadable.push({ file: dir, message: describeFsError(err) });
    return;
  }
  for (const name of entries) {
    if (name.startsWith('.') || name === 'node_modules') continue;
    const child = join(dir, name);
    let isDir: boolean;
    try {
      isDir = (await stat(child)).isDirectory();
    } catch (err) {
      // A dangling link named like a manifest is a missing manifest; any other is none of our business.
      if (MANIFEST_EXTENSIONS.includes(extname(name).toLowerCase())) result.unreadable.push({ file: child, message: describeFsError(err) });
      continue;
    }
    if (isDir) await walk(child, files, seen, result);
    else if (MANIFEST_EXTENSIONS.includes(extname(name).toLowerCase())) files.push(child);
  }
}

function describeFsError(err: unknown): string {
  const code = (err as { code?: string }).code;
  switch (code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    case 'ELOOP':
      return 'too many levels of symbolic links';
    default:
      return err instanceof Error ? err.message : String(err);
  }
}
