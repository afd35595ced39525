// A failed step of preparing a pod's network, with the command that failed, what it printed and what to
// check, so the VMI's sync error says more than "exit status 2".
export type NetworkStep =
  | 'read-links'
  | 'read-routes'
  | 'tap'
  | 'tap-address'
  | 'link-up'
  | 'mtu'
  | 'sysctl'
  | 'iptables'
  | 'bridge'
  | 'move-address'
  | 'record'
  | 'resolv-conf';

export class NetworkSetupError extends Error {
  constructor(
    readonly step: NetworkStep,
    message: string,
    readonly hint: string,
    readonly details: { netns?: string; command?: string; stderr?: string } = {},
    options?: { cause?: unknown },
  ) {
    const stderr = details.stderr?.trim();
    super(`pod network, step ${step}: ${message}${details.command ? ` (${details.command})` : ''}${stderr ? `: ${stderr.slice(-1000)}` : ''}; hint: ${hint}`, options);
    this.name = 'NetworkSetupError';
  }
}
