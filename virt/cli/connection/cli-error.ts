// A failure a virtctl command reports as one line (no stack trace): the user's mistake or the cluster's
// answer, with the exit code to end with.
import { EXIT_FAILED } from '../command.js';

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_FAILED,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CliError';
  }
}
