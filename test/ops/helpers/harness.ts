// Runs the real `ops` CLI in-process: outputs from a temp file, in-memory stdout/stderr, a
// virtual clock, an EventEmitter for signals. AWS is whatever aws-sdk-client-mock says.
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { mockClient } from "aws-sdk-client-mock";
import { EventEmitter } from "node:events";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { AwsClients } from "../../../scripts/ops/aws";
import { runOps } from "../../../scripts/ops/cli";
import { VirtualClock } from "../../../scripts/ops/virtualClock";
import type { StackOutputs } from "../../../stackOutputs";
import { stackOutputs } from "./outputs";

export const ROOT = path.resolve(__dirname, "../../..");

// Belt and braces: whatever a test forgets to mock must never reach for instance metadata,
// nor for AWS: an unmocked client goes to a closed loopback port and fails at once.
process.env.AWS_EC2_METADATA_DISABLED = "true";
process.env.AWS_ENDPOINT_URL = "http://127.0.0.1:9";
// The SDK's Node 20 deprecation notice is not what these tests are about.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
const FAKE_CREDENTIALS = { accessKeyId: "AKIDTEST", secretAccessKey: "test" };

class MemoryStream {
  text = "";
  constructor(readonly isTTY = false) {}
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}

interface CliOptions {
  /** Outputs to write to the --outputs file; null: pass no --outputs. */
  readonly outputs?: Partial<StackOutputs> | null;
  readonly clock?: VirtualClock;
  readonly signals?: EventEmitter;
  readonly projectDir?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** stderr is a terminal (progress is drawn). */
  readonly tty?: boolean;
}

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout parsed when --json was given. */
  readonly report?: any;
  readonly forcedExit?: number;
}

export function tempDir(prefix = "ops-test-"): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function writeOutputs(outputs: Partial<StackOutputs>): string {
  const file = path.join(tempDir(), "outputs.json");
  fs.writeFileSync(file, JSON.stringify(outputs));
  return file;
}

export async function runCli(argv: string[], options: CliOptions = {}): Promise<CliRun> {
  const stdout = new MemoryStream();
  const stderr = new MemoryStream(options.tty ?? false);
  const outputs = options.outputs === undefined ? stackOutputs() : options.outputs;
  const args = outputs === null ? argv : [...argv, "--outputs", writeOutputs(outputs)];
  let forcedExit: number | undefined;
  const code = await runOps(args, {
    stdout,
    stderr,
    env: options.env ?? { PATH: "" },
    cwd: ROOT,
    projectDir: options.projectDir ?? ROOT,
    clock: options.clock ?? new VirtualClock(),
    signals: options.signals ?? new EventEmitter(),
    forceExit: (c) => {
      forcedExit = c;
    },
    // Volume waiters give up after 3 s here: a volume the simulation never detaches fails fast.
    waiterDelays: { minDelay: 0.001, maxDelay: 0.002, maxWaitCap: 3 },
    // Fixed credentials: the default chain would look at the machine (files, IMDS).
    makeAws: (settings, stats) => new AwsClients({ ...settings, credentials: FAKE_CREDENTIALS }, stats),
    randomId: () => "beef",
  });
  const report = args.includes("--json") && stdout.text.trim().startsWith("{") ? JSON.parse(stdout.text) : undefined;
  return { code, stdout: stdout.text, stderr: stderr.text, report, forcedExit };
}

/** STS answering for the outputs' account: credentials are fine. */
export function mockIdentity(account = "123456789012") {
  const sts = mockClient(STSClient);
  sts.on(GetCallerIdentityCommand).resolves({ Account: account, Arn: `arn:aws:iam::${account}:user/sre`, UserId: "AIDA" });
  return sts;
}

/** Commands sent to a mock, by command name. */
export function sentCommands(mock: { calls(): any[] }): string[] {
  return mock.calls().map((c) => c.args[0].constructor.name.replace(/Command$/, ""));
}

/**
 * aws-sdk-client-mock's types follow the newest @smithy/types, while the FIS and Route 53 Resolver
 * clients are older releases (the newest the registry serves); their stubs work the same but are
 * typed loosely here.
 */
export interface LooseStub {
  on(command: unknown, input?: unknown): any;
  calls(): any[];
  commandCalls(command: unknown): any[];
  restore(): void;
}

export function mockLooseClient(client: unknown): LooseStub {
  return mockClient(client as any) as unknown as LooseStub;
}
