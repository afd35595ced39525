// Cross-field rules of a VirtualMachine: run strategy, dataVolumeTemplates and the template they feed.
import type { VirtualMachineSpec } from '../../kubevirt/vm.js';
import type { FieldError } from '../field-error.js';
import { joinPath } from '../field-path.js';
import { checkDataVolumeSpec } from './datavolume-spec.js';
import { checkVmiSpec } from './vmi-spec.js';

export function checkVmSpec(spec: VirtualMachineSpec, path: string, errors: FieldError[]): void {
  if (spec.running !== undefined && spec.runStrategy !== undefined) {
    errors.push({
      path: joinPath(path, 'running'), reason: 'Conflict', value: spec.running, allowed: 'running or runStrategy, not both',
      message: 'running and runStrategy are mutually exclusive (running is deprecated upstream)',
      hint: `remove running and keep runStrategy: ${spec.runStrategy}`,
    });
  }
  if (spec.running === undefined && spec.runStrategy === undefined) {
    errors.push({ path: joinPath(path, 'runStrategy'), reason: 'Required', allowed: 'Always, Halted, Manual, RerunOnFailure, Once', message: 'required field is missing: upstream KubeVirt requires a run strategy', hint: 'add runStrategy: Always (to start the VM) or Halted' });
  }
  const templates = spec.dataVolumeTemplates ?? [];
  const dvtPath = joinPath(path, 'dataVolumeTemplates');
  const names = new Map<string, number>();
  templates.forEach((t, i) => {
    const at = joinPath(dvtPath, i);
    const name = t.metadata.name;
    if (typeof name !== 'string' || name === '') {
      errors.push({ path: joinPath(joinPath(at, 'metadata'), 'name'), reason: 'Required', message: 'a DataVolume template needs a name', hint: 'set metadata.name and refer to it from a dataVolume volume' });
    } else if (names.has(name)) {
      errors.push({ path: joinPath(joinPath(at, 'metadata'), 'name'), reason: 'Duplicate', value: name, message: `duplicate DataVolume template name "${name}" (also at ${dvtPath}[${names.get(name)}])` });
    } else names.set(name, i);
    checkDataVolumeSpec(t.spec, joinPath(at, 'spec'), errors);
  });
  const specPath = joinPath(joinPath(path, 'template'), 'spec');
  checkVmiSpec(spec.template.spec, specPath, errors);
  // A template DataVolume that no volume uses is created, filled and never attached: almost always a typo.
  const used = new Set((spec.template.spec.volumes ?? []).flatMap((v) => (v.dataVolume ? [v.dataVolume.name] : [])));
  for (const [name, i] of names) {
    if (!used.has(name)) {
      errors.push({ path: joinPath(joinPath(joinPath(dvtPath, i), 'metadata'), 'name'), reason: 'NotFound', value: name, message: `DataVolume template "${name}" is not used by any volume of the VM`, hint: `add a volume {name: ..., dataVolume: {name: ${name}}} to ${specPath}.volumes` });
    }
  }
}
