// Errors about user data: they name the file (or spec), say what is wrong and what to do.

export class DatasetError extends Error {
  /** The file or dataset spec the error is about. */
  readonly source: string;
  constructor(source: string, problem: string, remedy?: string) {
    super(`${source}: ${problem}${remedy ? `. ${remedy}` : ''}`);
    this.name = 'DatasetError';
    this.source = source;
  }
}
