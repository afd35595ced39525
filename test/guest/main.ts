// `node dist/test/guest/main.js [--cached]`: builds (or finds in the cache) the test guest and prints its
// paths as JSON. With --cached it builds and installs nothing: it prints the guest only if it is already
// built from the current inputs, and otherwise exits 3 (the images step asks this to know whether an
// image made from the guest is current).
import { buildTestGuest, cachedTestGuest } from './guest.js';

const args = process.argv.slice(2);
const unknown = args.filter((a) => a !== '--cached');
if (unknown.length) {
  process.stderr.write(`guest: unknown argument ${unknown.join(' ')}\nusage: node dist/test/guest/main.js [--cached]\n`);
  process.exit(2);
}
const started = Date.now();
const guest = args.includes('--cached') ? cachedTestGuest() : await buildTestGuest();
if (!guest) {
  process.stderr.write('guest: not built from the current inputs (run node dist/test/guest/main.js)\n');
  process.exit(3);
}
process.stdout.write(JSON.stringify({ ...guest, seconds: (Date.now() - started) / 1000 }, null, 2) + '\n');
