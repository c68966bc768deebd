// Process signals as an AbortSignal, so every long wait in the tool can be interrupted and the
// cleanup code runs in `finally` blocks. First SIGINT/SIGTERM: abort and clean up. Second: a
// warning that cleanup is still running. Third: exit at once, naming the cleanup command.

type SignalName = "SIGINT" | "SIGTERM";

/** The part of `process` the handler needs (tests pass an EventEmitter). */
export interface SignalSource {
  on(event: SignalName, listener: () => void): unknown;
  removeListener(event: SignalName, listener: () => void): unknown;
}

export interface SignalScope {
  readonly signal: AbortSignal;
  /** The signal that aborted the run, if any. */
  received(): SignalName | undefined;
  /** Text for the forced exit (e.g. "ops cleanup --run-id X --stack Y"). */
  setCleanupHint(hint: string): void;
  dispose(): void;
}

interface SignalScopeOptions {
  readonly warn: (line: string) => void;
  readonly forceExit: (code: number) => void;
}

export function signalScope(source: SignalSource, options: SignalScopeOptions): SignalScope {
  const controller = new AbortController();
  let first: SignalName | undefined;
  let count = 0;
  let hint = "";
  const handler = (name: SignalName) => () => {
    count++;
    if (count === 1) {
      first = name;
      options.warn(`${name}: stopping; cleaning up what this run started (press Ctrl-C twice more to exit without cleanup)`);
      controller.abort(new Error(name));
    } else if (count === 2) {
      options.warn(`${name}: cleanup still running; one more signal exits now and leaves it unfinished`);
    } else {
      options.warn(`${name}: exiting without finishing cleanup${hint ? `; run: ${hint}` : ""}`);
      options.forceExit(name === "SIGTERM" ? 143 : 130);
    }
  };
  const onInt = handler("SIGINT");
  const onTerm = handler("SIGTERM");
  source.on("SIGINT", onInt);
  source.on("SIGTERM", onTerm);
  return {
    signal: controller.signal,
    received: () => first,
    setCleanupHint: (text) => {
      hint = text;
    },
    dispose: () => {
      source.removeListener("SIGINT", onInt);
      source.removeListener("SIGTERM", onTerm);
    },
  };
}
