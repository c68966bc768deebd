// The logs and the network the egress report reads, for its tests: Logs Insights simulated
// (scripts/ops/sim/logsSim.ts) on a mocked CloudWatchLogsClient, and the stack's network
// interfaces and subnets on a mocked EC2Client (DescribeNetworkInterfaces honours the vpc-id,
// addresses.private-ip-address and attachment.instance-id filters, and refuses others as moto does).
// The log events come from the fixtures: AWS's documented Resolver query log example, with field
// values changed, and the real Squid's output (test/fixtures/egress/README.md).
import { CloudWatchLogsClient, GetQueryResultsCommand, StartQueryCommand, StopQueryCommand } from "@aws-sdk/client-cloudwatch-logs";
import { DescribeNetworkInterfacesCommand, DescribeSubnetsCommand, EC2Client, type NetworkInterface } from "@aws-sdk/client-ec2";
import { mockClient } from "aws-sdk-client-mock";
import * as fs from "node:fs";
import * as path from "node:path";
import { LogsSim, type LogsSimOptions, type SimLogEvent } from "../../../scripts/ops/sim/logsSim";
import type { StackOutputs } from "../../../stackOutputs";

const FIXTURES = path.resolve(__dirname, "../../fixtures/egress");

/** AWS's own example entry (Route 53 Developer Guide), parsed. */
export const RESOLVER_EXAMPLE: Record<string, unknown> = JSON.parse(fs.readFileSync(path.join(FIXTURES, "resolver-query-log-example.json"), "utf8"));

/** Every line the real Squid wrote (cache log and decision log), in order. */
export const SQUID_LINES: string[] = fs.readFileSync(path.join(FIXTURES, "squid-egress-proxy.log"), "utf8").trimEnd().split("\n");

/** A query log event: AWS's example with these fields changed; its time is the event's. */
export function resolverEvent(at: number, fields: Record<string, unknown>): SimLogEvent {
  const entry = { ...RESOLVER_EXAMPLE, query_timestamp: new Date(at).toISOString().replace(/\.\d{3}Z$/, "Z"), ...fields };
  return { timestamp: at, message: JSON.stringify(entry) };
}

/** A query the stack's catch-all rule matched, from `srcaddr`. */
export function catchAll(o: StackOutputs, at: number, name: string, srcaddr: string, action = "ALERT", extra: Record<string, unknown> = {}): SimLogEvent {
  return resolverEvent(at, {
    query_name: `${name}.`, query_type: "A", srcaddr, vpc_id: o.vpcId, account_id: o.accountId, region: o.region,
    firewall_rule_group_id: o.dnsFirewallRuleGroupId, firewall_domain_list_id: o.dnsFirewallCatchAllDomainListId, firewall_rule_action: action,
    answers: [], rcode: action === "BLOCK" ? "NXDOMAIN" : "NOERROR", ...extra,
  });
}

/** The Squid fixture as log events: decision lines at their own time, cache log lines at their second. */
export function squidEvents(): SimLogEvent[] {
  let last = 0;
  return SQUID_LINES.map((message) => {
    const decision = /^(\d+)\.(\d{3}) /.exec(message);
    const cache = /^(\d{4})\/(\d{2})\/(\d{2}) (\d{2}:\d{2}:\d{2})\|/.exec(message);
    if (decision) last = Number(decision[1]) * 1000 + Number(decision[2]);
    else if (cache) last = Date.parse(`${cache[1]}-${cache[2]}-${cache[3]}T${cache[4]}Z`);
    return { timestamp: last, message };
  });
}

/** The subnets of the ops fixture's outputs, with CIDRs inside its vpcCidr (10.20.0.0/16). */
const SUBNET_CIDRS: Record<string, string> = {
  "subnet-pub-a": "10.20.0.0/24", "subnet-pub-c": "10.20.1.0/24",
  "subnet-priv-a": "10.20.16.0/20", "subnet-priv-c": "10.20.32.0/20",
  "subnet-iso-a": "10.20.2.0/24", "subnet-iso-c": "10.20.3.0/24",
  "subnet-ws-a": "10.20.64.0/20", "subnet-ws-c": "10.20.80.0/20",
};

export function simulatedLogs(options: LogsSimOptions) {
  const sim = new LogsSim(options);
  const logs = mockClient(CloudWatchLogsClient);
  logs.on(StartQueryCommand).callsFake((input) => sim.startQuery(input));
  logs.on(GetQueryResultsCommand).callsFake((input) => sim.getQueryResults(input));
  logs.on(StopQueryCommand).callsFake((input) => sim.stopQuery(input));
  return { sim, logs };
}

const mockEc2 = () => mockClient(EC2Client);
type Ec2Mock = ReturnType<typeof mockEc2>;

/** EC2's view of the VPC: these interfaces and the fixture's subnets (on `ec2`, or a new mock). */
export function simulatedNetwork(interfaces: NetworkInterface[], ec2: Ec2Mock = mockEc2(), vpcId = "vpc-0a1b2c3d"): Ec2Mock {
  ec2.on(DescribeNetworkInterfacesCommand).callsFake((input) => {
    const filter = (name: string) => input.Filters?.find((f: { Name?: string }) => f.Name === name)?.Values as string[] | undefined;
    const known = ["vpc-id", "addresses.private-ip-address", "attachment.instance-id"];
    const unknown = (input.Filters ?? []).map((f: { Name?: string }) => f.Name).filter((n: string | undefined) => !known.includes(n ?? ""));
    if (unknown.length > 0) throw Object.assign(new Error(`filter ${unknown.join(", ")} not simulated`), { name: "InvalidParameterValue" });
    const found = interfaces.filter((eni) => {
      const vpc = filter("vpc-id");
      const addresses = filter("addresses.private-ip-address");
      const instances = filter("attachment.instance-id");
      return (!vpc || vpc.includes(eni.VpcId ?? vpcId))
        && (!addresses || (eni.PrivateIpAddresses ?? []).some((a) => addresses.includes(a.PrivateIpAddress ?? "")))
        && (!instances || instances.includes(eni.Attachment?.InstanceId ?? ""));
    });
    return { NetworkInterfaces: found };
  });
  ec2.on(DescribeSubnetsCommand).callsFake((input) => ({
    Subnets: (input.SubnetIds ?? []).map((id: string) => ({ SubnetId: id, CidrBlock: SUBNET_CIDRS[id], VpcId: vpcId })),
  }));
  return ec2;
}

/** A network interface as EC2 describes it. */
export function eni(id: string, address: string, groups: string[], extra: Partial<NetworkInterface> = {}): NetworkInterface {
  return { NetworkInterfaceId: id, PrivateIpAddress: address, PrivateIpAddresses: [{ PrivateIpAddress: address, Primary: true }], Groups: groups.map((GroupId) => ({ GroupId })), InterfaceType: "interface", VpcId: "vpc-0a1b2c3d", ...extra };
}
