// The platform's own secrets, KMS-encrypted: the credential the proxy sidecar injects, and the
// Redis AUTH token. The database password is not here: RDS manages it (manageMasterUserPassword).
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";

export interface PlatformSecretsArgs {
  /** `<project>-<stack>`: the start of every physical name. */
  readonly prefix: string;
  /** The KMS key that encrypts what the component stores and logs. */
  readonly kmsKeyArn: pulumi.Input<string>;
  /** From `pulumi config set --secret proxyCredential`; unset: the value is put out of band. */
  readonly proxyCredential?: pulumi.Input<string>;
  /** The prod stack (config isProd): deletion protection and longer retention where the component has them. */
  readonly isProd: boolean;
  /** Tags every resource of the component carries (config tags). */
  readonly tags: Readonly<Record<string, string>>;
}

/** ElastiCache AUTH tokens: 16–128 printable characters; alphanumeric avoids the forbidden ones. */
export const REDIS_AUTH_TOKEN_LENGTH = 64;

export class PlatformSecrets extends pulumi.ComponentResource {
  readonly proxyCredential: aws.secretsmanager.Secret;
  readonly redisAuth: aws.secretsmanager.Secret;
  /** The token itself (a Pulumi secret), for the replication group. */
  readonly redisAuthToken: pulumi.Output<string>;

  constructor(name: string, args: PlatformSecretsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("remote-claude:security:PlatformSecrets", name, {}, opts);
    const parent = { parent: this };
    // Prod keeps a deleted secret recoverable for 30 days; elsewhere it goes at once so the name
    // can be reused by the next `pulumi up`.
    const recoveryWindowInDays = args.isProd ? 30 : 0;

    this.proxyCredential = new aws.secretsmanager.Secret(`${name}-proxy-credential`, {
      name: `${args.prefix}/credential-proxy`,
      description: "Credential the workspace credential-proxy sidecar injects; only that container receives it.",
      kmsKeyId: args.kmsKeyArn,
      recoveryWindowInDays,
      tags: { ...args.tags, Name: `${args.prefix}/credential-proxy` },
    }, parent);
    if (args.proxyCredential !== undefined) {
      new aws.secretsmanager.SecretVersion(`${name}-proxy-credential`, {
        secretId: this.proxyCredential.id,
        secretString: pulumi.secret(args.proxyCredential),
      }, parent);
    }

    // @pulumi/random keeps the token in the stack state: generated once, stable across `up`s.
    // (Secrets Manager's GetRandomPassword is an invoke: a new value on every run.)
    const token = new random.RandomPassword(`${name}-redis-auth`, { length: REDIS_AUTH_TOKEN_LENGTH, special: false }, parent);
    this.redisAuthToken = pulumi.secret(token.result);
    this.redisAuth = new aws.secretsmanager.Secret(`${name}-redis-auth`, {
      name: `${args.prefix}/redis-auth`,
      description: "AUTH token of the Redis replication group (TLS required); the backend receives it.",
      kmsKeyId: args.kmsKeyArn,
      recoveryWindowInDays,
      tags: { ...args.tags, Name: `${args.prefix}/redis-auth` },
    }, parent);
    new aws.secretsmanager.SecretVersion(`${name}-redis-auth`, {
      secretId: this.redisAuth.id,
      secretString: this.redisAuthToken,
    }, parent);

    this.registerOutputs({ proxyCredentialArn: this.proxyCredential.arn, redisAuthArn: this.redisAuth.arn });
  }
}
