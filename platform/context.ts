// What every step of the composition reads: the validated config, the region's facts and the
// names derived from them once. Built first, before any resource (platform.ts).
import * as aws from "@pulumi/aws";
import { ConfigError, fullKey, type StackConfig } from "../config";
import { parseCertificateArn } from "../config/services";
import { type PlatformNames, platformNames } from "../lib/names";

/** Placeholder account of the stack files: a certificate of it means the ARN was never filled in. */
const PLACEHOLDER_ACCOUNT_ID = "123456789012";

export interface PlatformContext {
  readonly cfg: StackConfig;
  readonly accountId: string;
  /** The availability zones the stack uses, sorted, azCount of them. */
  readonly zones: readonly string[];
  /** `<project>-<stack>`: the start of every physical name. */
  readonly prefix: string;
  readonly names: PlatformNames;
  readonly tags: Readonly<Record<string, string>>;
}

/** Region facts the program needs as plain values before it creates anything, checked against the config. */
export async function platformContext(cfg: StackConfig): Promise<PlatformContext> {
  const [zones, identity] = await Promise.all([
    aws.getAvailabilityZones({ state: "available", filters: [{ name: "opt-in-status", values: ["opt-in-not-required"] }] }),
    aws.getCallerIdentity({}),
  ]);
  const names = [...zones.names].sort();
  if (names.length < cfg.azCount) {
    throw new ConfigError(cfg.stack, [{
      key: fullKey("azCount"),
      value: String(cfg.azCount),
      expected: `at most ${names.length}: ${cfg.region} has ${names.length} available zones (${names.join(", ")})`,
    }]);
  }
  certificateAccountCheck(cfg, identity.accountId);
  const prefix = `${cfg.project}-${cfg.stack}`;
  return { cfg, accountId: identity.accountId, zones: names.slice(0, cfg.azCount), prefix, names: platformNames(prefix), tags: cfg.tags };
}

/** An ALB can only use an ACM certificate of its own account: catches a stack file's placeholder. */
function certificateAccountCheck(cfg: StackConfig, accountId: string) {
  const cert = cfg.certificateArn ? parseCertificateArn(cfg.certificateArn) : undefined;
  if (cert && cert.accountId !== accountId) {
    throw new ConfigError(cfg.stack, [{
      key: fullKey("certificateArn"),
      value: JSON.stringify(cfg.certificateArn),
      expected: `a certificate of the account the stack deploys to (${accountId}); this one belongs to ${cert.accountId}` +
        (cert.accountId === PLACEHOLDER_ACCOUNT_ID ? ", the placeholder account of the stack file: put your ACM certificate's ARN there" : ""),
    }]);
  }
}
