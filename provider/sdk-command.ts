// `npm run sdk [-- --out DIR]`: regenerates provider/schema.json and sdk/{nodejs,python,go} (generate-sdks.ts).
import { join, resolve } from 'node:path';
import { repoRoot } from '../toolchain/products.js';
import { generate, SdkGenerationError } from './generate-sdks.js';
import { SDK_LANGUAGES } from './sdk-settings.js';

function main(argv: string[]): number {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write('usage: npm run sdk [-- --out DIR]\n\nRegenerates provider/schema.json and sdk/{nodejs,python,go} (under DIR when given).\n');
    return 0;
  }
  let out = repoRoot();
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out' && argv[i + 1]) out = resolve(argv[++i]!);
    else {
      process.stderr.write(`sdk: unexpected argument ${argv[i]} (usage: npm run sdk [-- --out DIR])\n`);
      return 2;
    }
  }
  try {
    generate(out, (line) => process.stderr.write(`${line}\n`));
  } catch (e) {
    if (e instanceof SdkGenerationError) {
      process.stderr.write(`sdk: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  process.stderr.write(`sdk: wrote ${join(out, 'provider', 'schema.json')} and ${join(out, 'sdk')}/{${SDK_LANGUAGES.join(',')}}\n`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
