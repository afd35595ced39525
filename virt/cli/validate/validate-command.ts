// `virtctl validate`: offline checking of manifests for a GitOps pipeline, with the same validator the
// admission webhook runs, so what passes here is what the cluster accepts.
import { parseArgs } from 'node:util';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, type CliCommand, type CliIo } from '../command.js';
import { formatJson } from './format-json.js';
import { formatText } from './format-text.js';
import { resolveInputs } from './manifest-inputs.js';
import { passed } from './report.js';
import { validateInputs } from './validate-inputs.js';

export const VALIDATE_USAGE = `usage: virtctl validate -f PATH [-f PATH ...] [-o text|json]

Check VirtualMachine, VirtualMachineInstance, VirtualMachineInstanceMigration, VirtualMachinePool and
DataVolume manifests offline against the subset of KubeVirt/CDI that virtstack serves.

options:
  -f, --filename PATH   a file, a directory (searched recursively for *.yaml, *.yml, *.json;
                        hidden entries such as .git, and node_modules, are skipped) or - for
                        standard input; repeatable
  -o, --output FORMAT   text (default): one line per problem, FILE:LINE: KIND/NAME: FIELD.PATH: message (hint)
                        json: one JSON object with every document, its outcome and errors, and the summary
  -h, --help            show this help

Documents of other kinds (Service, ConfigMap, ...) pass with a note; empty documents are skipped;
the items of a List (kubectl get -o yaml) are checked one by one.

exit status:
  0  every document was accepted or is of a kind virtstack does not serve
  1  a document was rejected, a document is not valid YAML, or a path could not be read
  2  the command line is wrong
`;

const FORMATS = ['text', 'json'] as const;
type Format = (typeof FORMATS)[number];

interface ValidateOptions {
  paths: string[];
  format: Format;
}

export async function runValidate(args: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseValidateArgs(args);
  if ('help' in parsed) {
    io.stdout(VALIDATE_USAGE);
    return EXIT_OK;
  }
  if ('error' in parsed) {
    io.stderr(`virtctl validate: ${parsed.error}\n\n${VALIDATE_USAGE}`);
    return EXIT_USAGE;
  }
  const report = validateInputs(await resolveInputs(parsed.paths, io.readStdin));
  io.stdout(parsed.format === 'json' ? formatJson(report) : formatText(report));
  return passed(report.summary) ? EXIT_OK : EXIT_FAILED;
}

export function parseValidateArgs(args: readonly string[]): ValidateOptions | { help: true } | { error: string } {
  let values;
  let positionals;
  try {
    ({ values, positionals } = parseArgs({
      args: [...args],
      options: {
        filename: { type: 'string', short: 'f', multiple: true },
        output: { type: 'string', short: 'o' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
      strict: true,
    }));
  } catch (err) {
    return { error: argumentError(err) };
  }
  if (values.help) return { help: true };
  if (positionals.length) return { error: `unexpected argument '${positionals[0]}': name manifests with -f, e.g. -f ${positionals[0]}` };
  const paths = values.filename ?? [];
  if (paths.length === 0) return { error: 'no input: name a file, a directory or - (standard input) with -f' };
  const empty = paths.find((p) => p === '');
  if (empty !== undefined) return { error: '-f needs a path, got an empty string' };
  const format = values.output ?? 'text';
  if (!isFormat(format)) return { error: `unknown output format '${format}': use -o text or -o json` };
  return { paths, format };
}

// node:util names the offending option; its advice about '--' and its stack are of no use here.
function argumentError(err: unknown): string {
  // Duck-typed: the error may come from another realm (a test VM context), where instanceof Error fails.
  const message = String((err as { message?: unknown }).message ?? err);
  const unknown = /Unknown option '([^']*)'/.exec(message);
  if (unknown) return `unknown option '${unknown[1]}'`;
  if (/argument missing/.test(message) && message.includes('--filename')) return '-f needs a path: a file, a directory, or - for standard input';
  if (/argument missing/.test(message) && message.includes('--output')) return '-o needs a format: text or json';
  return message;
}

function isFormat(f: string): f is Format {
  return (FORMATS as readonly string[]).includes(f);
}

export const validateCommand: CliCommand = {
  name: 'validate',
  summary: 'check manifests offline against the KubeVirt/CDI subset virtstack serves',
  run: runValidate,
};
