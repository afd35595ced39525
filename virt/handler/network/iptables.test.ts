import { ensureNat } from './iptables.js';
import { masqueradeNat } from './nat-rules.js';
import type { CommandResult, NetnsExec } from './netns-exec.js';
import { NetworkSetupError } from './errors.js';

/**
 * An iptables stand-in that keeps chains as lists of rule strings and answers -S (a chain, or the whole
 * table), -C and iptables-restore --noflush (a declared chain is created or flushed, all or nothing) the way
 * iptables does (exit 1 for a missing chain or rule), recording every process and every change.
 */
function fakeIptables(initial: Record<string, string[]> = {}) {
  const BUILTIN = ['PREROUTING', 'OUTPUT', 'POSTROUTING'];
  const chains = new Map<string, string[]>(Object.entries(initial).map(([k, v]) => [k, [...v]]));
  for (const b of BUILTIN) if (!chains.has(b)) chains.set(b, []);
  const writes: string[] = [];
  const processes: string[] = [];
  const ok = (stdout = ''): CommandResult => ({ code: 0, stdout, stderr: '' });
  const fail = (stderr: string): CommandResult => ({ code: 1, stdout: '', stderr });
  const listing = (chain: string): string[] => [`${BUILTIN.includes(chain) ? '-P' : '-N'} ${chain}${BUILTIN.includes(chain) ? ' ACCEPT' : ''}`, ...chains.get(chain)!.map((r) => `-A ${chain} ${r}`)];
  const restore = (input: string): CommandResult => {
    const next = new Map([...chains].map(([k, v]) => [k, [...v]]));
    for (const line of input.split('\n')) {
      if (line === '' || line === '*nat' || line === 'COMMIT') continue;
      const declared = /^:(\S+) - \[0:0\]$/.exec(line);
      if (declared) {
        next.set(declared[1]!, []);
        continue;
      }
      const add = /^-A (\S+) (.*)$/.exec(line);
      const target = add ? / -j (\S+)$/.exec(line)?.[1] : undefined;
      if (!add || !next.has(add[1]!) || (target && !['DNAT', 'MASQUERADE'].includes(target) && !next.has(target))) return fail(`line failed: ${line}`);
      next.get(add[1]!)!.push(add[2]!);
    }
    for (const [k, v] of next) chains.set(k, v);
    writes.push(input);
    return ok();
  };
  const answer = (argv: readonly string[], input?: string): CommandResult => {
    processes.push(argv.join(' '));
    if (argv[0] === 'iptables-restore') return restore(input ?? '');
    const [, , , , op, chain, ...rule] = argv; // iptables -w -t nat <op> [chain] ...
    const rules = chain === undefined ? undefined : chains.get(chain);
    switch (op) {
      case '-S':
        if (chain === undefined) return ok([...chains.keys()].flatMap(listing).join('\n') + '\n');
        return rules ? ok(listing(chain).join('\n') + '\n') : fail('no chain');
      case '-C':
        return rules?.includes(rule.join(' ')) ? ok() : fail('Bad rule');
      default:
        return fail(`unexpected ${op}`);
    }
  };
  const exec: NetnsExec = {
    netns: '/proc/1/ns/net',
    probe: async (argv) => answer(argv),
    run: async (step, argv, hint, input) => {
      const r = answer(argv, input);
      if (r.code !== 0) throw new NetworkSetupError(step, 'failed', hint, { command: argv.join(' '), stderr: r.stderr });
      return r.stdout;
    },
  };
  return { exec, chains, writes, processes };
}

const plan = (ports: { port: number }[] = []) => masqueradeNat({ podInterface: 'eth0', podIp: '10.244.1.7', guestIp: '10.0.2.2', guestCidr: '10.0.2.0/24', ports });

describe('ensureNat', () => {
  it('creates the chains, fills them and hooks them in on a fresh namespace', async () => {
    const f = fakeIptables();
    expect(await ensureNat(f.exec, plan())).toBe(true);
    expect(f.chains.get('VIRTSTACK-INBOUND')).toEqual(['-p tcp -j DNAT --to-destination 10.0.2.2', '-p udp -j DNAT --to-destination 10.0.2.2']);
    expect(f.chains.get('PREROUTING')).toEqual(['-i eth0 -j VIRTSTACK-INBOUND']);
    expect(f.chains.get('POSTROUTING')).toEqual(['-j VIRTSTACK-OUTBOUND']);
  });

  it('needs two processes on a fresh namespace: one listing, one restore', async () => {
    const f = fakeIptables();
    await ensureNat(f.exec, plan());
    expect(f.processes).toEqual(['iptables -w -t nat -S', 'iptables-restore -w --noflush']);
    expect(f.writes).toHaveLength(1);
  });

  it('changes nothing the second time', async () => {
    const f = fakeIptables();
    await ensureNat(f.exec, plan());
    const before = f.writes.length;
    expect(await ensureNat(f.exec, plan())).toBe(false);
    expect(f.writes.length).toBe(before);
  });

  it('rewrites a chain whose rules differ (ports changed, or a rule was removed by hand), keeping the jumps single', async () => {
    const f = fakeIptables();
    await ensureNat(f.exec, plan());
    expect(await ensureNat(f.exec, plan([{ port: 80 }]))).toBe(true);
    expect(f.chains.get('VIRTSTACK-INBOUND')).toEqual(['-p tcp -m tcp --dport 80 -j DNAT --to-destination 10.0.2.2']);
    f.chains.get('VIRTSTACK-OUTBOUND')!.length = 0;
    expect(await ensureNat(f.exec, plan([{ port: 80 }]))).toBe(true);
    expect(f.chains.get('VIRTSTACK-OUTBOUND')).toEqual(['-s 10.0.2.0/24 -o eth0 -j MASQUERADE']);
    expect(f.chains.get('PREROUTING')).toEqual(['-i eth0 -j VIRTSTACK-INBOUND']);
  });

  it('drops an extra rule someone appended to our chain', async () => {
    const f = fakeIptables();
    await ensureNat(f.exec, plan());
    f.chains.get('VIRTSTACK-INBOUND')!.push('-p sctp -j DNAT --to-destination 10.0.2.2');
    expect(await ensureNat(f.exec, plan())).toBe(true);
    expect(f.chains.get('VIRTSTACK-INBOUND')).toHaveLength(2);
  });
});
