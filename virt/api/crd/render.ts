// Renders every CRD to the text committed under virt/api/crds/ (one file per kind).
import { stringify } from 'yaml';
import { SERVED_KINDS } from '../kinds.js';
import { crdFileName, crdFor } from './crd.js';

export const CRD_HEADER = '# Generated from virt/api by `npm run generate`. Do not edit: change the declarations in virt/api.\n';

export function renderCrds(): Map<string, string> {
  const files = new Map<string, string>();
  for (const k of SERVED_KINDS) files.set(crdFileName(k), CRD_HEADER + stringify(crdFor(k), { lineWidth: 0, aliasDuplicateObjects: false }));
  return files;
}
