// The stack's software-emulation setting (upstream's `useEmulation`, turned around): `auto` uses KVM where a
// node's probe found it usable and TCG elsewhere, `on` always TCG, `off` only KVM. One definition for the
// install options, the controller's flags and the launcher pods it shapes.
export const EMULATIONS = ['auto', 'on', 'off'] as const;
export type Emulation = (typeof EMULATIONS)[number];
