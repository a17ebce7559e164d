/**
 * Thrown for a mistake in the command line or in a file it names (a bad bulk file, unreadable --data
 * @file): nothing was sent. Exits 2, like a configuration or network error.
 */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}
