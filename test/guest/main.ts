// `node dist/test/guest/main.js`: builds (or finds in the cache) the test guest and prints its paths as JSON.
import { buildTestGuest } from './guest.js';

const started = Date.now();
const guest = await buildTestGuest();
process.stdout.write(JSON.stringify({ ...guest, seconds: (Date.now() - started) / 1000 }, null, 2) + '\n');
