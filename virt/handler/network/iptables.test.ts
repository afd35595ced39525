import { ensureNat } from './iptables.js';
import { masqueradeNat } from './nat-rules.js';
import type { CommandResult, NetnsExec } from './netns-exec.js';
import { NetworkSetupError } from './errors.js';

/**
 * An iptables stand-in that keeps chains as lists of rule strings and answers -S, -C, -N, -F and -A the way
 * iptables does (exit 1 for a missing chain or rule), recording every command that changes something.
 */
function fakeIptables(initial: Record<string, string[]> = {}) {
  const chains = new Map<string, string[]>(Object.entries(initial).map(([k, v]) => [k, [...v]]));
  for (const b of ['PREROUTING', 'OUTPUT', 'POSTROUTING']) if (!chains.has(b)) chains.set(b, []);
  const writes: string[] = [];
  const answer = (argv: readonly string[]): CommandResult => {
    const [, , , , op, chain, ...rule] = argv; // iptables -w -t nat <op> <chain> ...
    const rules = chain === undefined ? undefined : chains.get(chain);
    const ok = (stdout = ''): CommandResult => ({ code: 0, stdout, stderr: '' });
    const fail = (stderr: string): CommandResult => ({ code: 1, stdout: '', stderr });
    switch (op) {
      case '-S':
        return rules ? ok([`-N ${chain}`, ...rules.map((r) => `-A ${chain} ${r}`)].join('\n') + '\n') : fail('no chain');
      case '-C':
        return rules?.includes(rule.join(' ')) ? ok() : fail('Bad rule');
      case '-N':
        if (rules) return fail('Chain already exists');
        chains.set(chain!, []);
        break;
      case '-F':
        rules!.length = 0;
        break;
      case '-A':
        rules!.push(rule.join(' '));
        break;
      default:
        return fail(`unexpected ${op}`);
    }
    writes.push(argv.slice(4).join(' '));
    return ok();
  };
  const exec: NetnsExec = {
    netns: '/proc/1/ns/net',
    probe: async (argv) => answer(argv),
    run: async (step, argv, hint) => {
      const r = answer(argv);
      if (r.code !== 0) throw new NetworkSetupError(step, 'failed', hint, { command: argv.join(' '), stderr: r.stderr });
      return r.stdout;
    },
  };
  return { exec, chains, writes };
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
