// The BenchError family: every error the CLI can meet carries an exit code and, where useful, a cause.
// Exit codes are a contract (docs/ARCHITECTURE.md): 1 infrastructure/internal, 2 usage/config/dataset, 3 gate failed.

export class BenchError extends Error {
  /** Process exit code the CLI maps this error to. */
  readonly exitCode: number;
  constructor(message: string, exitCode: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.exitCode = exitCode;
  }
}

/** Bad flags, config or dataset, detected before any sandbox starts: exit 2. */
export class UsageError extends BenchError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 2, options);
  }
}

/** The run could not complete: Docker unreachable, credentials missing, internal failure: exit 1. */
export class InfraError extends BenchError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 1, options);
  }
}

/** A CI gate failed after a completed run: exit 3. */
export class GateError extends BenchError {
  constructor(message: string) {
    super(message, 3);
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
