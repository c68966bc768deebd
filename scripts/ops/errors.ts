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
  // SDK errors built from an answer without a message can carry a message that is not a string.
  if (err instanceof Error) return String(err.message ?? "").split("\n")[0];
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

/** Socket errors of a request that never got an answer, in words. */
const NETWORK_ERRORS: Readonly<Record<string, string>> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  EPIPE: "connection reset",
  ECONNABORTED: "connection aborted",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "host name lookup failed",
  ETIMEDOUT: "connection timed out",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
};

/** Why a request got no answer (refused, not found, timed out, …), or undefined when it got one. */
export function networkCause(err: unknown): string | undefined {
  const e = err as { code?: unknown; cause?: { code?: unknown }; errors?: { code?: unknown }[] } | undefined;
  const code = [e?.code, e?.cause?.code, ...(e?.errors ?? []).map((x) => x?.code)].find((c): c is string => typeof c === "string" && c in NETWORK_ERRORS);
  if (code) return `${NETWORK_ERRORS[code]} (${code})`;
  if (errorName(err) === "TimeoutError") return `no answer (${errorMessage(err)})`;
  return undefined;
}

/** The endpoint a failed AWS call was sent to, as the SDK middleware in aws.ts recorded it. */
export function endpointOf(err: unknown): string | undefined {
  const endpoint = (err as { $endpoint?: unknown } | undefined)?.$endpoint;
  return typeof endpoint === "string" ? endpoint : undefined;
}
