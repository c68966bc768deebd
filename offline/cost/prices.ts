// The price table of the plan's cost estimate: on-demand list prices in USD for one region, each
// with its unit, its source and whether a source confirmed it or it is an estimate.
//
// Region: ap-northeast-1 (Tokyo) only. Prices differ by region in no fixed ratio (EC2 in Tokyo is
// about 1.26x us-east-1, NAT 1.38x, CloudWatch Logs 1.52x), so a multiplier would be a guess
// dressed up as a figure: for any other region the estimate refuses and says so (estimate.ts).
// To support another region, add a table for it here with its own sources.
//
// Compiled 2026-11 (the EC2 rates 2026-12, in lib/instanceCatalog.ts) without access to AWS or
// its Price List API from this workplace. "confirmed" means a published source states the Tokyo
// figure (named in `source`); "estimate" means the figure is the author's knowledge of the AWS
// price list (or derived from it, as the source says), not re-checked here: check those
// against the AWS pricing pages or the Price List API (`aws pricing get-products`) before
// relying on them. Taxes (Japan's 10% consumption tax for Japanese billing addresses), Savings
// Plans, Reserved Instances and free tiers are not applied.
import { FAMILY_PRICES, instanceHourlyUsd, instanceTypeInfo } from "../../lib/instanceCatalog";

type PriceStatus = "confirmed" | "estimate";

export interface Price {
  readonly usd: number;
  /** What one unit is, e.g. "per instance-hour". */
  readonly unit: string;
  readonly status: PriceStatus;
  readonly source: string;
}

export const PRICE_TABLE_REGION = "ap-northeast-1";
export const PRICE_TABLE_DATE = "2026-12";
export const PRICE_TABLE_SOURCE =
  "AWS pricing pages (EC2, EBS, VPC/NAT, ELB, PrivateLink, RDS, ElastiCache, CloudWatch, Route 53, FIS, Secrets Manager, KMS, Fargate, Network Firewall) for Asia Pacific (Tokyo); see each price's source";

const SOURCES = {
  route53: "AWS Route 53 pricing page, DNS Firewall section (as transcribed 2026-09-20); Route 53 prices are global",
  natTokyo: "AWS VPC pricing, NAT gateway, ap-northeast-1: $0.062/h and $0.062/GB (quoted by awsi.click, 'The Real Reason NAT Gateway Is Expensive', 2025)",
  elbTokyo: "AWS ELB pricing, Tokyo: ALB $0.0243/h + $0.008/LCU-h, NLB $0.0243/h + $0.006/NLCU-h (quoted by aws.darcy-it.com, 'ELBのコスト料金')",
  logsTokyo: "AWS CloudWatch pricing, ap-northeast-1: Logs ingestion $0.76/GB, storage $0.033/GB-month (quoted by awsi.click, 'Why CloudWatch Logs Costs More Than You Expect')",
  ebsTokyo: "AWS EBS pricing, Tokyo: gp3 $0.096/GB-month (quoted by Qiita, 'AWS EBSの料金設定と課金の単位', Tokyo figures of 2021-06, unchanged since)",
  privateLink: "AWS PrivateLink pricing page: $0.01/GB processed for the first PB per region",
  publicIpv4: "AWS public IPv4 address charge, $0.005 per IP-hour in every region since 2024-02-01 (AWS 'What's New', 2023-07)",
  knowledge: "AWS price list (on-demand, Linux) as known to the author; not re-checked from this workplace",
  fargate:
    "AWS Fargate pricing, Tokyo, after the 2019-01 price cut (the cached Japanese pricing page found here still shows the pre-2019 $0.0632/vCPU-h and $0.0158/GB-h); not re-checked",
} as const;

const price = (usd: number, unit: string, status: PriceStatus, source: string): Price => ({ usd, unit, status, source });
const confirmed = (usd: number, unit: string, source: string) => price(usd, unit, "confirmed", source);
const estimate = (usd: number, unit: string, source: string = SOURCES.knowledge) => price(usd, unit, "estimate", source);

/** Single prices, by what they price. */
export const PRICES = {
  ebsGp3GiBMonth: confirmed(0.096, "per GiB-month (gp3)", SOURCES.ebsTokyo),
  ebsSnapshotGiBMonth: estimate(0.05, "per GiB-month (EBS snapshot, standard tier)"),
  natGatewayHour: confirmed(0.062, "per NAT gateway-hour", SOURCES.natTokyo),
  natGatewayGiB: confirmed(0.062, "per GiB processed by a NAT gateway", SOURCES.natTokyo),
  publicIpv4Hour: confirmed(0.005, "per public IPv4 address-hour", SOURCES.publicIpv4),
  albHour: confirmed(0.0243, "per Application Load Balancer-hour", SOURCES.elbTokyo),
  albLcuHour: confirmed(0.008, "per LCU-hour", SOURCES.elbTokyo),
  nlbHour: confirmed(0.0243, "per Network Load Balancer-hour", SOURCES.elbTokyo),
  nlbLcuHour: confirmed(0.006, "per NLCU-hour", SOURCES.elbTokyo),
  interfaceEndpointAzHour: estimate(0.014, "per interface endpoint per AZ-hour"),
  interfaceEndpointGiB: confirmed(0.01, "per GiB processed by interface endpoints", SOURCES.privateLink),
  rdsGp3GiBMonth: estimate(0.138, "per GiB-month of RDS gp3 storage (single-AZ; Multi-AZ pays twice)"),
  logsIngestGiB: confirmed(0.76, "per GiB ingested (CloudWatch Logs, standard class)", SOURCES.logsTokyo),
  logsStorageGiBMonth: confirmed(0.033, "per GiB-month stored (CloudWatch Logs)", SOURCES.logsTokyo),
  alarmMetricMonth: estimate(0.1, "per standard-resolution alarm metric-month"),
  customMetricMonth: estimate(0.3, "per custom metric-month (first 10,000 metrics; metric filters publish these)"),
  dashboardMonth: estimate(3, "per dashboard-month (the account's first 3 are free: not applied)"),
  dnsFirewallMillionQueries: confirmed(0.6, "per million queries inspected by DNS Firewall", SOURCES.route53),
  dnsFirewallDomainMonth: confirmed(0.0005, "per domain name in a DNS Firewall domain list, per month", SOURCES.route53),
  fisActionMinute: estimate(0.1, "per FIS action-minute"),
  secretMonth: estimate(0.4, "per Secrets Manager secret-month"),
  kmsKeyMonth: estimate(1, "per KMS customer managed key-month (each of the first two yearly rotations adds $1/month later)"),
  networkFirewallEndpointHour: estimate(0.48, "per Network Firewall endpoint-hour (per AZ)"),
  networkFirewallGiB: estimate(0.081, "per GiB processed by Network Firewall"),
  fargateVcpuHour: estimate(0.05056, "per Fargate vCPU-hour (Linux/x86)", SOURCES.fargate),
  fargateGiBHour: estimate(0.00553, "per Fargate GB-hour (Linux/x86)", SOURCES.fargate),
} as const satisfies Record<string, Price>;

/**
 * EC2 On-Demand Linux per vCPU-hour by family, from the instance catalog (lib/instanceCatalog.ts),
 * where each family's rate sits next to its types' ENI trunking figures: within these families AWS
 * prices sizes linearly (xlarge = 2 x large, ...), so a type's price is its vCPUs times this.
 */
const EC2_VCPU_HOUR: Readonly<Record<string, Price>> = Object.fromEntries(
  Object.entries(FAMILY_PRICES).map(([family, p]) => [family, price(p.usdPerVcpuHour, `per vCPU-hour (${p.basis})`, p.status, p.source)]),
);

/** RDS for PostgreSQL, single-AZ instance-hour (Multi-AZ: twice). */
export const RDS_POSTGRES_HOUR: Readonly<Record<string, Price>> = {
  "db.t4g.micro": estimate(0.025, "per instance-hour (single-AZ)"),
  "db.t4g.small": estimate(0.05, "per instance-hour (single-AZ)"),
  "db.t4g.medium": estimate(0.101, "per instance-hour (single-AZ)"),
  "db.t4g.large": estimate(0.202, "per instance-hour (single-AZ)"),
  "db.m7g.large": estimate(0.219, "per instance-hour (single-AZ)"),
  "db.m7g.xlarge": estimate(0.438, "per instance-hour (single-AZ)"),
  "db.m6g.large": estimate(0.209, "per instance-hour (single-AZ)"),
  "db.r7g.large": estimate(0.298, "per instance-hour (single-AZ)"),
};

/** ElastiCache for Redis OSS, node-hour. */
export const ELASTICACHE_NODE_HOUR: Readonly<Record<string, Price>> = {
  "cache.t4g.micro": estimate(0.021, "per node-hour"),
  "cache.t4g.small": estimate(0.042, "per node-hour"),
  "cache.t4g.medium": estimate(0.084, "per node-hour"),
  "cache.m7g.large": estimate(0.205, "per node-hour"),
  "cache.m7g.xlarge": estimate(0.41, "per node-hour"),
  "cache.r7g.large": estimate(0.27, "per node-hour"),
};

/** Every price of the table, by a stable name, for the plan's JSON and the HTML page. */
export function allPrices(): Record<string, Price> {
  return {
    ...PRICES,
    ...Object.fromEntries(Object.entries(EC2_VCPU_HOUR).map(([family, p]) => [`ec2.${family}`, p])),
    ...Object.fromEntries(Object.entries(RDS_POSTGRES_HOUR).map(([cls, p]) => [`rds.${cls}`, p])),
    ...Object.fromEntries(Object.entries(ELASTICACHE_NODE_HOUR).map(([node, p]) => [`elasticache.${node}`, p])),
  };
}

/** On-Demand price of an instance type: its vCPUs times its family's rate; undefined when unknown. */
export function ec2HourlyPrice(instanceType: string): Price | undefined {
  const info = instanceTypeInfo(instanceType);
  const rate = EC2_VCPU_HOUR[instanceType.split(".")[0]];
  const usd = instanceHourlyUsd(instanceType);
  if (!info || !rate || usd === undefined) return undefined;
  return { ...rate, usd, unit: `per instance-hour (${info.vcpu} vCPU x $${rate.usd}/vCPU-hour)` };
}
