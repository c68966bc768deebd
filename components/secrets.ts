// The platform's own secrets, KMS-encrypted: the credential the credential-proxy sidecar injects, and the
// Redis AUTH token. The database password is not here: RDS manages it (manageMasterUserPassword).
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";

export interface PlatformSecretsArgs {
  /** `<project>-<stack>`: the start of every physical name. */
  readonly prefix: string;
  /** The KMS key that encrypts what the component stores and logs. */
  readonly kmsKeyArn: pulumi.Input<string>;
  /** From `pulumi config set --secret credentialProxySecret`; unset: the value is put out of band. */
  readonly credentialProxySecret?: pulumi.Input<string>;
  /** The prod stack (config isProd): deletion protection and longer retention where the component has them. */
  readonly isProd: boolean;
  /** Tags every resource of the component carries (config tags). */
  readonly tags: Readonly<Record<string, string>>;
}

/** ElastiCache AUTH tokens: 16–128 printable characters; alphanumeric avoids the forbidden ones. */
export const REDIS_AUTH_TOKEN_LENGTH = 64;

/**
 * The credential proxy's secret and its version were once `<name>-proxy-credential`: the alias
 * keeps a stack deployed then from replacing them (a replaced secret would lose its value).
 */
const FORMER_CREDENTIAL_PROXY_NAME = "proxy-credential";

export class PlatformSecrets extends pulumi.ComponentResource {
  readonly credentialProxySecret: aws.secretsmanager.Secret;
  readonly redisAuth: aws.secretsmanager.Secret;
  /** The token itself (a Pulumi secret), for the replication group. */
  readonly redisAuthToken: pulumi.Output<string>;

  constructor(name: string, args: PlatformSecretsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("remote-claude:security:PlatformSecrets", name, {}, opts);
    const parent = { parent: this };
    // Prod keeps a deleted secret recoverable for 30 days; elsewhere it goes at once so the name
    // can be reused by the next `pulumi up`.
    const recoveryWindowInDays = args.isProd ? 30 : 0;

    this.credentialProxySecret = new aws.secretsmanager.Secret(`${name}-credential-proxy`, {
      name: `${args.prefix}/credential-proxy`,
      description: "Credential the workspace credential-proxy sidecar injects; only that container receives it.",
      kmsKeyId: args.kmsKeyArn,
      recoveryWindowInDays,
      tags: { ...args.tags, Name: `${args.prefix}/credential-proxy` },
    }, { ...parent, aliases: [{ name: `${name}-${FORMER_CREDENTIAL_PROXY_NAME}` }] });
    if (args.credentialProxySecret !== undefined) {
      new aws.secretsmanager.SecretVersion(`${name}-credential-proxy`, {
        secretId: this.credentialProxySecret.id,
        secretString: pulumi.secret(args.credentialProxySecret),
      }, { ...parent, aliases: [{ name: `${name}-${FORMER_CREDENTIAL_PROXY_NAME}` }] });
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

    this.registerOutputs({ credentialProxySecretArn: this.credentialProxySecret.arn, redisAuthArn: this.redisAuth.arn });
  }
}
