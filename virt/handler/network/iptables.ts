// Brings a namespace's iptables to a NatPlan idempotently: each of our chains is left alone when it already
// holds exactly the planned rules (checked with `-C`, which compares rules as the kernel stores them, not as
// text), and rewritten (flush + append) otherwise; each jump from a built-in chain is added once.
import type { NetnsExec } from './netns-exec.js';
import type { NatPlan } from './nat-rules.js';

const HINT = 'the handler image needs iptables (iptables-nft) and the node kernel nf_tables NAT (nft_chain_nat, nf_nat)';

function ruleLines(listing: string, chain: string): string[] {
  return listing.split('\n').filter((l) => l.startsWith(`-A ${chain} `));
}

/** Applies `plan`; returns true when anything had to change. */
export async function ensureNat(exec: NetnsExec, plan: NatPlan, iptables = 'iptables'): Promise<boolean> {
  let changed = false;
  for (const c of plan.chains) {
    const ipt = [iptables, '-w', '-t', c.table];
    const listing = await exec.probe([...ipt, '-S', c.chain]);
    if (listing.code !== 0) {
      await exec.run('iptables', [...ipt, '-N', c.chain], HINT);
      changed = true;
    } else {
      let same = ruleLines(listing.stdout, c.chain).length === c.rules.length;
      for (const r of c.rules) {
        if (!same) break;
        same = (await exec.probe([...ipt, '-C', c.chain, ...r])).code === 0;
      }
      if (same) continue;
      await exec.run('iptables', [...ipt, '-F', c.chain], HINT);
      changed = true;
    }
    for (const r of c.rules) await exec.run('iptables', [...ipt, '-A', c.chain, ...r], HINT);
  }
  for (const j of plan.jumps) {
    const ipt = [iptables, '-w', '-t', j.table];
    if ((await exec.probe([...ipt, '-C', j.from, ...j.rule])).code === 0) continue;
    await exec.run('iptables', [...ipt, '-A', j.from, ...j.rule], HINT);
    changed = true;
  }
  return changed;
}
