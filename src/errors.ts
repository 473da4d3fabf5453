/** Base of every error the daemon throws on purpose: the message is one line an admin can act on. */
export class InotifyCsyncError extends Error {
  /** Exit code the CLI uses when this error ends the program. */
  readonly exitCode: number;

  constructor(message: string, options: { exitCode?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.exitCode = options.exitCode ?? 1;
  }
}

/** A command-line value is wrong: exit code 2, as for any usage error. */
export class UsageError extends InotifyCsyncError {
  constructor(message: string) {
    super(message, { exitCode: 2 });
  }
}

/** The csync2 configuration cannot be found, read or used for this host. */
export class ConfigError extends InotifyCsyncError {}

/** A system requirement is missing (a binary, a writable directory, a kernel limit). */
export class EnvironmentError extends InotifyCsyncError {}
