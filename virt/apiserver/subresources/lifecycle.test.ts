import type { VirtualMachine, VirtualMachineInstance } from '../../api/index.js';
import { decideRestart, decideStart, decideStop, type Decision, type Patch } from './lifecycle.js';
import { inPhase, newVm, newVmi, withGrace, withRunning, withRunStrategy, withVmStatus } from './testing/fixtures.js';

const patches = (d: Decision): Patch[] => {
  if ('error' in d) throw new Error(`refused: ${d.error.message}`);
  return d.patches;
};
const refusal = (d: Decision): { code: number; reason: string; message: string } => {
  if (!('error' in d)) throw new Error(`not refused: ${JSON.stringify(d.patches)}`);
  return { code: d.error.code, reason: d.error.reason, message: d.error.message };
};
const queued = (d: Decision) => patches(d).find((p) => p.target === 'vm-status')?.ops.find((o) => o.op !== 'test' && o.op !== 'remove');

const running = newVmi();
const none: VirtualMachineInstance | undefined = undefined;

describe('start', () => {
  test('Halted: runStrategy becomes Always, guarded by a test of the old value', () => {
    expect(patches(decideStart(newVm(withRunStrategy('Halted')), none))).toEqual([
      { target: 'vm', ops: [{ op: 'test', path: '/spec/runStrategy', value: 'Halted' }, { op: 'replace', path: '/spec/runStrategy', value: 'Always' }] },
    ]);
  });

  test('running: false becomes running: true; neither field set adds runStrategy Always', () => {
    expect(patches(decideStart(newVm(withRunning(false)), none))[0]!.ops).toEqual([{ op: 'test', path: '/spec/running', value: false }, { op: 'replace', path: '/spec/running', value: true }]);
    expect(patches(decideStart(newVm(withRunStrategy(undefined)), none))[0]!.ops).toEqual([{ op: 'add', path: '/spec/runStrategy', value: 'Always' }]);
  });

  test('Manual without a VMI: a Start request, the whole status added when the VM has none', () => {
    expect(patches(decideStart(newVm(withRunStrategy('Manual')), none))).toEqual([{ target: 'vm-status', ops: [{ op: 'add', path: '/status', value: { stateChangeRequests: [{ action: 'Start' }] } }] }]);
    const withStatus = newVm(withRunStrategy('Manual'), withVmStatus({ printableStatus: 'Stopped' }));
    expect(patches(decideStart(withStatus, none))[0]!.ops).toEqual([
      { op: 'test', path: '/status/stateChangeRequests', value: null },
      { op: 'add', path: '/status/stateChangeRequests', value: [{ action: 'Start' }] },
    ]);
  });

  test('Manual with an ended VMI, RerunOnFailure with a Succeeded one: Stop that VMI, then Start', () => {
    for (const [strategy, phase] of [['Manual', 'Succeeded'], ['Manual', 'Failed'], ['RerunOnFailure', 'Succeeded']] as const) {
      const d = decideStart(newVm(withRunStrategy(strategy), withVmStatus({ printableStatus: 'Stopped' })), newVmi(inPhase(phase)));
      expect(queued(d)).toEqual({ op: 'add', path: '/status/stateChangeRequests', value: [{ action: 'Stop', uid: 'vmi-uid' }, { action: 'Start' }] });
    }
  });

  test('RerunOnFailure with a Failed VMI is refused as upstream', () => {
    expect(refusal(decideStart(newVm(withRunStrategy('RerunOnFailure')), newVmi(inPhase('Failed'))))).toEqual({
      code: 409,
      reason: 'Conflict',
      message: 'Operation cannot be fulfilled on virtualmachine.kubevirt.io "testvm": RerunOnFailure does not support starting VM from failed state',
    });
  });

  test('Always and Once do not take start requests', () => {
    expect(refusal(decideStart(newVm(withRunStrategy('Always')), none)).message).toMatch(/Always does not support manual start requests$/);
    expect(refusal(decideStart(newVm(withRunStrategy('Once')), none)).message).toMatch(/Once does not support manual start requests$/);
  });

  test('a running VMI: already running (409); a VMI with no phase yet or Unknown may be started over', () => {
    for (const phase of ['Pending', 'Scheduling', 'Scheduled', 'Running'] as const) {
      expect(refusal(decideStart(newVm(withRunStrategy('Halted')), newVmi(inPhase(phase)))).message).toMatch(/"testvm": VM is already running$/);
    }
    expect(patches(decideStart(newVm(withRunStrategy('Manual')), newVmi(inPhase('Unknown'))))).toHaveLength(1);
    expect(patches(decideStart(newVm(withRunStrategy('Manual')), newVmi(inPhase(undefined))))).toHaveLength(1);
  });

  test('a queued request blocks another start; a start clears the crash-loop back-off', () => {
    const busy = newVm(withRunStrategy('Manual'), withVmStatus({ stateChangeRequests: [{ action: 'Start' }] }));
    expect(refusal(decideStart(busy, none)).message).toMatch(/stop\/start already underway/);
    const backingOff = newVm(withRunStrategy('Manual'), withVmStatus({ startFailure: { consecutiveFailCount: 3 } }));
    expect(patches(decideStart(backingOff, none))[0]!.ops).toContainEqual({ op: 'remove', path: '/status/startFailure' });
  });

  test('starting paused is refused naming the unsupported field', () => {
    expect(refusal(decideStart(newVm(withRunStrategy('Halted')), none, { paused: true }))).toMatchObject({ code: 400, message: expect.stringContaining('startStrategy') });
  });
});

describe('stop', () => {
  test('Always and Once: runStrategy becomes Halted', () => {
    for (const s of ['Always', 'Once'] as const) {
      expect(patches(decideStop(newVm(withRunStrategy(s)), running))).toEqual([
        { target: 'vm', ops: [{ op: 'test', path: '/spec/runStrategy', value: s }, { op: 'replace', path: '/spec/runStrategy', value: 'Halted' }] },
      ]);
    }
    expect(patches(decideStop(newVm(withRunning(true)), none))[0]!.ops[1]).toEqual({ op: 'replace', path: '/spec/running', value: false });
  });

  test('Manual and RerunOnFailure: a Stop request for the running VMI, replacing whatever is queued', () => {
    for (const s of ['Manual', 'RerunOnFailure'] as const) {
      const vm = newVm(withRunStrategy(s), withVmStatus({ stateChangeRequests: [{ action: 'Start' }] }));
      expect(patches(decideStop(vm, running))).toEqual([
        {
          target: 'vm-status',
          ops: [
            { op: 'test', path: '/status/stateChangeRequests', value: [{ action: 'Start' }] },
            { op: 'replace', path: '/status/stateChangeRequests', value: [{ action: 'Stop', uid: 'vmi-uid' }] },
          ],
        },
      ]);
    }
  });

  test('Manual, RerunOnFailure and Halted without a running VMI: VM is not running (409)', () => {
    for (const s of ['Manual', 'RerunOnFailure', 'Halted'] as const) {
      for (const vmi of [none, newVmi(inPhase('Succeeded')), newVmi(inPhase('Failed'))]) {
        expect(refusal(decideStop(newVm(withRunStrategy(s)), vmi))).toEqual({ code: 409, reason: 'Conflict', message: 'Operation cannot be fulfilled on virtualmachine.kubevirt.io "testvm": VM is not running' });
      }
    }
  });

  test('Halted with a VMI still going: only a shorter grace period forces it', () => {
    const vm = newVm(withRunStrategy('Halted'));
    const vmi = newVmi(withGrace(30));
    expect(refusal(decideStop(vm, vmi)).message).toMatch(/Halted only supports manual stop requests with a shorter graceperiod$/);
    expect(refusal(decideStop(vm, vmi, { gracePeriod: 30 })).message).toMatch(/shorter graceperiod$/);
    const d = patches(decideStop(vm, vmi, { gracePeriod: 0 }));
    expect(d.map((p) => p.target)).toEqual(['vmi', 'vm-status']);
    expect(d[0]!.ops).toEqual([{ op: 'test', path: '/spec/terminationGracePeriodSeconds', value: 30 }, { op: 'replace', path: '/spec/terminationGracePeriodSeconds', value: 0 }]);
  });

  test('a grace period reaches the running VMI first, whatever the strategy; an invalid one is a 400', () => {
    const d = patches(decideStop(newVm(withRunStrategy('Always')), newVmi(), { gracePeriod: 5 }));
    expect(d.map((p) => p.target)).toEqual(['vmi', 'vm']);
    expect(d[0]!.ops).toEqual([{ op: 'add', path: '/spec/terminationGracePeriodSeconds', value: 5 }]);
    expect(patches(decideStop(newVm(withRunStrategy('Always')), newVmi(inPhase('Succeeded')), { gracePeriod: 5 })).map((p) => p.target)).toEqual(['vm']);
    expect(refusal(decideStop(newVm(), running, { gracePeriod: -1 })).code).toBe(400);
  });
});

describe('restart', () => {
  const vmWith = (s: VirtualMachine['spec']['runStrategy']) => newVm(withRunStrategy(s), withVmStatus({ printableStatus: 'Running' }));

  test('Always, Manual, RerunOnFailure: Stop the VMI, then Start', () => {
    for (const s of ['Always', 'Manual', 'RerunOnFailure'] as const) {
      expect(queued(decideRestart(vmWith(s), running))).toEqual({ op: 'add', path: '/status/stateChangeRequests', value: [{ action: 'Stop', uid: 'vmi-uid' }, { action: 'Start' }] });
    }
  });

  test('Halted and Once cannot restart; no VMI means not running', () => {
    expect(refusal(decideRestart(vmWith('Halted'), running)).message).toMatch(/RunStrategy Halted does not support manual restart requests$/);
    expect(refusal(decideRestart(vmWith('Once'), running)).message).toMatch(/RunStrategy Once does not support manual restart requests$/);
    expect(refusal(decideRestart(vmWith('Always'), none))).toMatchObject({ code: 409, message: expect.stringMatching(/VM is not running$/) });
  });

  test('gracePeriodSeconds 0 forces: the VMI gets 1 s first; anything above 0 or below is a 400', () => {
    const d = patches(decideRestart(vmWith('Always'), newVmi(withGrace(30)), { gracePeriodSeconds: 0 }));
    expect(d[0]).toEqual({ target: 'vmi', ops: [{ op: 'test', path: '/spec/terminationGracePeriodSeconds', value: 30 }, { op: 'replace', path: '/spec/terminationGracePeriodSeconds', value: 1 }] });
    expect(refusal(decideRestart(vmWith('Always'), running, { gracePeriodSeconds: 5 }))).toMatchObject({ code: 400, message: 'For force restart, only gracePeriod=0 is supported for now' });
    expect(refusal(decideRestart(vmWith('Always'), running, { gracePeriodSeconds: -1 }))).toMatchObject({ code: 400, message: 'gracePeriod has to be greater or equal to 0' });
  });

  test('a restart while a request is queued is refused', () => {
    const vm = newVm(withVmStatus({ stateChangeRequests: [{ action: 'Stop', uid: 'vmi-uid' }] }));
    expect(refusal(decideRestart(vm, running)).message).toMatch(/stop\/start already underway/);
  });
});
