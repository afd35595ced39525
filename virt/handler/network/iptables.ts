// Brings a namespace's iptables to a NatPlan idempotently, in as few processes as it can (see ip-batch.ts
// for why processes count): one listing of the table, and one `iptables-restore --noflush` for everything
// to change. A chain of ours missing from the listing is created; one that exists is left alone when it
// holds exactly the planned rules (checked with `-C`, which compares rules as the kernel stores them, not
// as text — only after a handler restart, since a new pod has none of our chains) and rewritten otherwise
// (declaring a chain in a --noflush restore flushes it). Each jump from a built-in chain is added once. The
// restore is one transaction: a failure leaves the table as it was.
import { NetworkSetupError } from './errors.js';
import type { NetnsExec } from './netns-exec.js';
import type { NatPlan } from './nat-rules.js';

const HINT = 'the handler image needs iptables (iptables-nft) and the node kernel nf_tables NAT (nft_chain_nat, nf_nat)';

function ruleLines(listing: string, chain: string): string[] {
  return listing.split('\n').filter((l) => l.startsWith(`-A ${chain} `));
}

/** The chains a `-S` listing of a whole table declares (`-N` user chains, `-P` built-in ones). */
function chainsOf(listing: string): Set<string> {
  return new Set(listing.split('\n').map((l) => /^-[NP] (\S+)/.exec(l)?.[1]).filter((c): c is string => c !== undefined));
}

/** One rule as iptables-restore reads it: its arguments must not need quoting. */
function restoreLine(chain: string, rule: readonly string[]): string {
  const bad = rule.find((a) => a === '' || /[\s"'#]/.test(a));
  if (bad !== undefined) throw new NetworkSetupError('iptables', `the rule argument ${JSON.stringify(bad)} of chain ${chain} cannot be passed through iptables-restore`, 'a virtstack bug: report it', { command: `-A ${chain} ${rule.join(' ')}` });
  return `-A ${chain} ${rule.join(' ')}`;
}

/** Applies `plan`; returns true when anything had to change. */
export async function ensureNat(exec: NetnsExec, plan: NatPlan, iptables = 'iptables'): Promise<boolean> {
  const tables = new Set([...plan.chains.map((c) => c.table), ...plan.jumps.map((j) => j.table)]);
  const restore: string[] = [];
  for (const table of tables) {
    const ipt = [iptables, '-w', '-t', table];
    const listing = await exec.run('iptables', [...ipt, '-S'], HINT);
    const existing = chainsOf(listing);
    const lines: string[] = [];
    for (const c of plan.chains.filter((x) => x.table === table)) {
      if (existing.has(c.chain)) {
        let same = ruleLines(listing, c.chain).length === c.rules.length;
        for (const r of c.rules) {
          if (!same) break;
          same = (await exec.probe([...ipt, '-C', c.chain, ...r])).code === 0;
        }
        if (same) continue;
      }
      lines.push(`:${c.chain} - [0:0]`, ...c.rules.map((r) => restoreLine(c.chain, r)));
    }
    for (const j of plan.jumps.filter((x) => x.table === table)) {
      // A jump to a chain that did not exist cannot exist either (iptables refuses both).
      const target = j.rule[j.rule.indexOf('-j') + 1];
      if (target !== undefined && existing.has(target) && (await exec.probe([...ipt, '-C', j.from, ...j.rule])).code === 0) continue;
      lines.push(restoreLine(j.from, j.rule));
    }
    if (lines.length) restore.push(`*${table}`, ...lines, 'COMMIT');
  }
  if (restore.length === 0) return false;
  await exec.run('iptables', [`${iptables}-restore`, '-w', '--noflush'], HINT, restore.join('\n') + '\n');
  return true;
}
