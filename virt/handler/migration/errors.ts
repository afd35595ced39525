// Typed failures of the handlers' migration relay and reconcile, each naming the migration and what to check.

export class MigrationError extends Error {
  override readonly name = 'MigrationError';
  constructor(
    message: string,
    /** Where in the VMI the fact came from, e.g. status.migrationState.targetNodeAddress. */
    readonly field: string | undefined,
    readonly hint: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
