// Route 53 Resolver DNS Firewall for the whole VPC: ALLOW the allow list, then a catch-all rule
// that BLOCKs everything else (or, during a first deploy's observation window, ALERTs: resolves
// and logs), fail-closed, with every query logged. Names only: an IP literal bypasses it.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { DNS_ALERT_ACKNOWLEDGED_TAG, type DnsCatchAllAction } from "../lib/egress";

export interface DnsFirewallArgs {
  /** `<project>-<stack>`: the start of every physical name. */
  readonly prefix: string;
  /** The stack's VPC. */
  readonly vpcId: pulumi.Input<string>;
  /** Every name the VPC may resolve: configured names, the platform's AWS names, data store endpoints. */
  readonly allowedDomains: pulumi.Input<pulumi.Input<string>[]>;
  /** What a blocked query gets back (config dnsBlockResponse). */
  readonly blockResponse: "NXDOMAIN" | "NODATA";
  /** BLOCK names off the allow list, or ALERT: let them resolve and log the match. */
  readonly catchAllAction: DnsCatchAllAction;
  /** ALERT on a production stack by explicit config: tagged on the rule group for the policy pack. */
  readonly alertAcknowledged: boolean;
  /** Days its log groups keep entries (config logRetentionDays). */
  readonly logRetentionDays: number;
  /** The platform key (components/kms.ts): its policy lets CloudWatch Logs use it for /<prefix>/* log groups. */
  readonly kmsKeyArn: pulumi.Input<string>;
  /** Tags every resource of the component carries (config tags). */
  readonly tags: Readonly<Record<string, string>>;
}

// Rule priorities: allow first, the catch-all last, room between for later rules.
const ALLOW_PRIORITY = 100;
const BLOCK_ALL_PRIORITY = 1000;
/** One name in both actions: turning ALERT into BLOCK then changes only the action (an update). */
const CATCH_ALL_RULE_NAME = "catch-all";
// Association priority: 101–9900 are for customer rule groups; low runs first.
const ASSOCIATION_PRIORITY = 101;

export class DnsFirewall extends pulumi.ComponentResource {
  readonly allowedDomains: pulumi.Output<string[]>;
  readonly ruleGroup: aws.route53.ResolverFirewallRuleGroup;
  /** The "*" list of the catch-all rule: its id marks the queries that rule matched in the query logs. */
  readonly catchAllDomainList: aws.route53.ResolverFirewallDomainList;
  readonly association: aws.route53.ResolverFirewallRuleGroupAssociation;
  readonly queryLogGroup: aws.cloudwatch.LogGroup;
  readonly catchAllAction: DnsCatchAllAction;

  constructor(name: string, args: DnsFirewallArgs, opts?: pulumi.ComponentResourceOptions) {
    super("remote-claude:network:DnsFirewall", name, {}, opts);
    const parent = { parent: this };
    const tags = (suffix: string) => ({ ...args.tags, Name: `${args.prefix}-${suffix}` });
    this.catchAllAction = args.catchAllAction;

    this.allowedDomains = pulumi.output(args.allowedDomains).apply((names) => [...new Set(names)].sort());
    const allowList = new aws.route53.ResolverFirewallDomainList(`${name}-allow`, {
      name: `${args.prefix}-allow`,
      domains: this.allowedDomains,
      tags: tags("dns-allow"),
    }, parent);
    this.catchAllDomainList = new aws.route53.ResolverFirewallDomainList(`${name}-everything`, {
      name: `${args.prefix}-everything`,
      domains: ["*"],
      tags: tags("dns-everything"),
    }, parent);

    const acknowledged = args.catchAllAction === "ALERT" && args.alertAcknowledged;
    this.ruleGroup = new aws.route53.ResolverFirewallRuleGroup(`${name}-rules`, {
      name: `${args.prefix}-egress`,
      tags: { ...tags("dns-egress"), ...(acknowledged ? { [DNS_ALERT_ACKNOWLEDGED_TAG]: "true" } : {}) },
    }, parent);
    new aws.route53.ResolverFirewallRule(`${name}-allow`, {
      name: "allow-listed",
      firewallRuleGroupId: this.ruleGroup.id,
      firewallDomainListId: allowList.id,
      priority: ALLOW_PRIORITY,
      action: "ALLOW",
      // CNAME targets of allowed names (CDNs, AWS regional aliases) are trusted rather than
      // listed one by one; the name the client asked for is what the allow list governs.
      firewallDomainRedirectionAction: "TRUST_REDIRECTION_DOMAIN",
    }, parent);
    // The same resource in both actions, so ALERT → BLOCK is an in-place update; a replacement
    // would need a second rule at the same (unique) priority. The API takes a block response only
    // with BLOCK (Route 53 Resolver CreateFirewallRule, BlockResponse).
    new aws.route53.ResolverFirewallRule(`${name}-block-all`, {
      name: CATCH_ALL_RULE_NAME,
      firewallRuleGroupId: this.ruleGroup.id,
      firewallDomainListId: this.catchAllDomainList.id,
      priority: BLOCK_ALL_PRIORITY,
      action: args.catchAllAction,
      ...(args.catchAllAction === "BLOCK" ? { blockResponse: args.blockResponse } : {}),
    }, parent);

    this.association = new aws.route53.ResolverFirewallRuleGroupAssociation(`${name}-vpc`, {
      name: `${args.prefix}-egress`,
      firewallRuleGroupId: this.ruleGroup.id,
      vpcId: args.vpcId,
      priority: ASSOCIATION_PRIORITY,
      // Nobody detaches the firewall by accident: protection must be turned off first.
      mutationProtection: "ENABLED",
      tags: tags("dns-egress"),
    }, parent);
    // Fail closed: if the firewall cannot answer, queries are blocked, not let through.
    new aws.route53.ResolverFirewallConfig(`${name}-fail-closed`, {
      resourceId: args.vpcId,
      firewallFailOpen: "DISABLED",
    }, parent);

    this.queryLogGroup = new aws.cloudwatch.LogGroup(`${name}-query-logs`, {
      name: `/${args.prefix}/dns-queries`,
      retentionInDays: args.logRetentionDays,
      kmsKeyId: args.kmsKeyArn,
      tags: tags("dns-queries"),
    }, parent);
    const queryLog = new aws.route53.ResolverQueryLogConfig(`${name}-query-logs`, {
      name: `${args.prefix}-dns-queries`,
      destinationArn: this.queryLogGroup.arn,
      tags: tags("dns-queries"),
    }, parent);
    new aws.route53.ResolverQueryLogConfigAssociation(`${name}-query-logs`, {
      resolverQueryLogConfigId: queryLog.id,
      resourceId: args.vpcId,
    }, parent);

    this.registerOutputs({ ruleGroupId: this.ruleGroup.id, associationId: this.association.id });
  }
}
