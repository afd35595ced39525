import { configureCpu } from './cpu.js';
import { render } from './xml.js';

describe('cpu configurator', () => {
  it('multiplies the topology into vCPUs and keeps host-model under KVM', () => {
    const { vcpu, cpu } = configureCpu({ cpu: { sockets: 2, cores: 2, threads: 1 }, devices: {} }, 'kvm');
    expect(render(vcpu)).toBe("<vcpu placement='static'>4</vcpu>\n");
    expect(render(cpu)).toBe("<cpu mode='host-model' check='partial'>\n  <topology sockets='2' dies='1' cores='2' threads='1'/>\n</cpu>\n");
  });

  it('uses qemu64 with the same topology under TCG', () => {
    const { cpu } = configureCpu({ cpu: { cores: 2, model: 'host-passthrough' }, devices: {} }, 'tcg');
    expect(render(cpu)).toBe(
      "<cpu mode='custom' match='exact'>\n  <model fallback='allow'>qemu64</model>\n  <topology sockets='1' dies='1' cores='2' threads='1'/>\n</cpu>\n",
    );
  });

  it('passes a named model and host-passthrough through under KVM', () => {
    expect(render(configureCpu({ cpu: { model: 'Skylake-Server' }, devices: {} }, 'kvm').cpu)).toBe(
      "<cpu mode='custom' match='exact' check='partial'>\n  <model fallback='forbid'>Skylake-Server</model>\n  <topology sockets='1' dies='1' cores='1' threads='1'/>\n</cpu>\n",
    );
    expect(render(configureCpu({ cpu: { model: 'host-passthrough' }, devices: {} }, 'kvm').cpu)).toContain("mode='host-passthrough' check='none' migratable='on'");
  });
});
