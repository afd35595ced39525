// upstream's `migrations` settings checked field by field: the controller's --migrations flag and the
// install's option both go through here, so a wrong value is refused with the same words before anything runs.
import type { MigrationConfiguration } from '../kubevirt/vmi.js';
import { MIGRATION_DEFAULTS } from './cluster-defaults.js';

export interface MigrationSettingsProblem {
  /** The field, e.g. "parallelMigrationsPerCluster"; "" for the whole value. */
  field: string;
  message: string;
  hint: string;
}

const INTS = ['parallelMigrationsPerCluster', 'parallelOutboundMigrationsPerNode', 'completionTimeoutPerGiB', 'progressTimeout'] as const;
const BOOLS = ['allowAutoConverge', 'allowPostCopy'] as const;
const QUANTITY = /^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$/;

/** The settings with upstream's defaults for what `v` leaves out, or the first problem. */
export function migrationSettings(v: unknown): { settings: Required<MigrationConfiguration> } | { problem: MigrationSettingsProblem } {
  const out: Required<MigrationConfiguration> = { ...MIGRATION_DEFAULTS };
  if (v === undefined) return { settings: out };
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return { problem: { field: '', message: 'is not an object', hint: 'e.g. {"allowAutoConverge":true}' } };
  const known = Object.keys(MIGRATION_DEFAULTS);
  for (const [k, val] of Object.entries(v)) {
    if (!known.includes(k)) return { problem: { field: k, message: 'is not a supported migration setting', hint: `use one of ${known.join(', ')}` } };
    if ((INTS as readonly string[]).includes(k)) {
      const min = k.startsWith('parallel') ? 1 : 0;
      if (typeof val !== 'number' || !Number.isInteger(val) || val < min) return { problem: { field: k, message: `${JSON.stringify(val)} is not an integer ≥ ${min}`, hint: `e.g. "${k}": ${MIGRATION_DEFAULTS[k as (typeof INTS)[number]]}` } };
      out[k as (typeof INTS)[number]] = val;
    } else if ((BOOLS as readonly string[]).includes(k)) {
      if (typeof val !== 'boolean') return { problem: { field: k, message: `${JSON.stringify(val)} is not true or false`, hint: `e.g. "${k}": true` } };
      out[k as (typeof BOOLS)[number]] = val;
    } else {
      const q = typeof val === 'number' && Number.isInteger(val) && val >= 0 ? String(val) : val;
      if (typeof q !== 'string' || !QUANTITY.test(q)) return { problem: { field: k, message: `${JSON.stringify(val)} is not a quantity`, hint: 'e.g. "bandwidthPerMigration": "64Mi" (per second; "0" is unlimited)' } };
      out.bandwidthPerMigration = q;
    }
  }
  return { settings: out };
}
