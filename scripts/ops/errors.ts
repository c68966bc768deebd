// Exit codes and the errors that map to them. Every failure the user can fix (arguments, outputs,
// credentials, the prod guard, the probe file) is one line and exit code 2; a run that could not
// go ahead is 3; a run whose cleanup or rollback did not finish is 4 and names what is left.

export const EXIT = {
  /** Ran, and every threshold, SLO and check passed. */
  ok: 0,
  /** Ran, and a threshold, SLO or security check failed. */
  failed: 1,
  /** Bad arguments, missing outputs or credentials, the prod guard, a missing probe. Nothing was changed. */
  usage: 2,
  /** Could not run: the stack is not in steady state, a precondition failed, or AWS refused a call. */
  error: 3,
  /** Cleanup or rollback did not finish: the report says what is left and how to remove it. */
  cleanupIncomplete: 4,
  /** Stopped by SIGINT / SIGTERM after cleaning up (128 + signal number, as shells do). */
  interrupted: 130,
  terminated: 143,
} as const;

/** Something the user must fix before anything can run: exit code 2, one line. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** The stack or the account is not in a state where the command may run: exit code 3. */
export class PreconditionError extends Error {
  override readonly name = "PreconditionError";
}

/** Thrown out of waits when the run was aborted by a signal. */
export class AbortedError extends Error {
  override readonly name = "AbortedError";
  constructor(message = "aborted") {
    super(message);
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message.split("\n")[0];
  return String(err);
}

export function errorName(err: unknown): string {
  if (err && typeof err === "object" && "name" in err && typeof (err as { name: unknown }).name === "string") return (err as { name: string }).name;
  return "Error";
}

const CREDENTIAL_ERRORS = new Set([
  "CredentialsProviderError",
  "ExpiredToken",
  "ExpiredTokenException",
  "InvalidClientTokenId",
  "UnrecognizedClientException",
  "SignatureDoesNotMatch",
  "TokenRefreshRequired",
]);

/** Errors that mean "no usable AWS credentials", whichever client raised them. */
export function isCredentialError(err: unknown): boolean {
  return CREDENTIAL_ERRORS.has(errorName(err));
}
