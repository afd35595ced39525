// `./virtstack up`: the main job. Today it can only report the parts that exist; each later part
// (cluster, stack install, VM boot) is added here as it lands, and this says plainly what ran.
const done: string[] = ['installed Node 24 and the npm dependencies, built the TypeScript'];
const missing: string[] = [
  'bring up the local cluster (issue: real infrastructure)',
  'install the stack and boot a VM (later issues)',
];
process.stdout.write(`virtstack up:\n  done: ${done.join('\n  done: ')}\n  not yet available: ${missing.join('\n  not yet available: ')}\n`);
