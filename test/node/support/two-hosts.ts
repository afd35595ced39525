// Two "hosts" on one machine: two network namespaces joined by a veth pair, so each launcher's libvirt
// daemon and QEMU live behind their own address and a migration really crosses a network.
import { run } from '../../guest/host-tools.js';

export interface TwoHosts {
  a: { netns: string; address: string };
  b: { netns: string; address: string };
  remove: () => Promise<void>;
}

export async function createTwoHosts(tag: string, subnet = 77): Promise<TwoHosts> {
  const a = `vs${tag}a`;
  const b = `vs${tag}b`;
  const remove = async () => {
    for (const ns of [a, b]) await run('ip', ['netns', 'delete', ns]).catch(() => undefined);
  };
  await remove();
  await run('ip', ['netns', 'add', a]);
  await run('ip', ['netns', 'add', b]);
  await run('ip', ['link', 'add', `${a}0`, 'netns', a, 'type', 'veth', 'peer', 'name', `${b}0`, 'netns', b]);
  const hosts = { a: { netns: a, address: `10.${subnet}.0.1` }, b: { netns: b, address: `10.${subnet}.0.2` } };
  for (const [ns, dev, addr] of [[a, `${a}0`, hosts.a.address], [b, `${b}0`, hosts.b.address]] as const) {
    await run('ip', ['-n', ns, 'addr', 'add', `${addr}/24`, 'dev', dev]);
    await run('ip', ['-n', ns, 'link', 'set', dev, 'up']);
    await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  }
  return { ...hosts, remove };
}
