// The `ip` changes of one setup, run as one `ip -batch -` in the pod's namespace instead of one process per
// change. Each command is a process the handler has to get scheduled, and a node full of booting guests
// gives it little CPU: 25 processes per VMI took ~12 s there (README "Cluster benchmark"). `ip -batch`
// runs the lines in order and stops at the first that fails, so an order that matters (the bridge's record
// before the address leaves eth0) holds as it did one command at a time.
import { NetworkSetupError, type NetworkStep } from './errors.js';
import type { NetnsExec } from './netns-exec.js';

interface Line {
  step: NetworkStep;
  args: readonly string[];
  hint: string;
}

/** What the ensure* steps of tap.ts need: the namespace (for messages) and a place to queue a change. */
export interface IpChanges {
  readonly netns: string;
  /** Queues `ip <args...>`; `step` and `hint` name it in the error if it fails. */
  add(step: NetworkStep, args: readonly string[], hint: string): void;
}

/** One argument as ip's batch reader reads it back. */
export function batchWord(arg: string): string {
  return /\s/.test(arg) || arg.startsWith('"') ? `'${arg}'` : arg;
}

export class IpBatch implements IpChanges {
  private readonly lines: Line[] = [];

  constructor(private readonly exec: NetnsExec) {}

  get netns(): string {
    return this.exec.netns;
  }

  get size(): number {
    return this.lines.length;
  }

  add(step: NetworkStep, args: readonly string[], hint: string): void {
    // ip's batch reader cuts a line at '#' and splits it on blanks, except inside quotes that open a word
    // (no escapes): an argument with blanks is single-quoted, and one no quoting can carry is refused.
    const bad = args.find((a) => a === '' || /['#\r\n]/.test(a));
    if (bad !== undefined) throw new NetworkSetupError(step, `the ip argument ${JSON.stringify(bad)} cannot be passed through ip -batch`, 'a virtstack bug: report it', { netns: this.netns, command: `ip ${args.join(' ')}` });
    this.lines.push({ step, args, hint });
  }

  /** Runs what was queued (nothing when empty) and empties the batch; a failure names the step that failed. */
  async flush(): Promise<void> {
    const lines = this.lines.splice(0);
    if (lines.length === 0) return;
    const input = lines.map((l) => l.args.map(batchWord).join(' ')).join('\n') + '\n';
    try {
      await this.exec.run(lines[0]!.step, ['ip', '-batch', '-'], lines[0]!.hint, input);
    } catch (err) {
      if (!(err instanceof NetworkSetupError)) throw err;
      // ip says "Command failed -:<line>" for the line that stopped the batch.
      const n = /Command failed -:(\d+)/.exec(err.details.stderr ?? '')?.[1];
      const line = n === undefined ? undefined : lines[Number(n) - 1];
      if (!line) throw err;
      throw new NetworkSetupError(line.step, `ip ${line.args[0] ?? ''} failed in ${this.netns}`, line.hint, { ...err.details, command: `ip ${line.args.join(' ')}` }, { cause: err });
    }
  }
}
