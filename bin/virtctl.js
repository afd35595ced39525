#!/usr/bin/env node
// Thin shim so `npx virtctl` works from a checkout; the command lives in virt/cmd/virtctl.ts (compiled to dist/).
import('../dist/virt/cmd/virtctl.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND') {
    process.stderr.write('virtctl: not built yet: run ./virtstack setup (or npm run build)\n');
    process.exit(2);
  }
  throw err;
});
