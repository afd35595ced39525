/** The VMI asks for something this node or converter cannot provide; names the field and what to do. */
export class ConversionError extends Error {
  constructor(
    readonly field: string,
    message: string,
    readonly hint: string,
  ) {
    super(`${field}: ${message}; hint: ${hint}`);
    this.name = 'ConversionError';
  }
}
