// How each resource type costs money: one rule per priced type (it gets every resource of that
// type and returns cost lines), and a list of the types that cost nothing by themselves, are
// priced through another resource, or are knowingly not estimated. A type in neither list is
// reported as unpriced by the estimate, and a test fails until it is placed in one of them.
//
// Adding a priced type: a price in prices.ts and a rule here.
import type { CapturedResource } from "../graph";
import { type CostContext, type CostLine, line, range } from "./lines";
import { purchaseSplit, hostPools, warmPoolSize } from "./pools";
import { ec2HourlyPrice, ELASTICACHE_NODE_HOUR, PRICES, RDS_POSTGRES_HOUR } from "./prices";

type CostRule = (resources: readonly CapturedResource[], ctx: CostContext) => CostLine[];

const ids = (rs: readonly CapturedResource[]) => rs.map((r) => r.id);
const DAYS_PER_MONTH = 365 / 12;

/** "PT10M" → 10; "PT90S" → 2 (billed per started minute); anything else → undefined. */
export function isoMinutes(duration: string): number | undefined {
  const m = /^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?$/.exec(duration);
  if (!m || duration === "PT") return undefined;
  const seconds = Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
  return Math.ceil(seconds / 60);
}

const hostPoolsRule: CostRule = (groups, ctx) => {
  const h = ctx.assumptions.hoursPerMonth;
  const wanted = new Set(groups.map((g) => g.id));
  return hostPools(ctx.graph).filter((p) => wanted.has(p.group.id)).flatMap((pool) => {
    const type = pool.instanceTypes[0] ?? "?";
    const price = ec2HourlyPrice(type);
    const res = [pool.group.id, ...(pool.launchTemplate ? [pool.launchTemplate.id] : [])];
    const atMin = purchaseSplit(pool, pool.minSize);
    const atMax = purchaseSplit(pool, pool.maxSize);
    const others = pool.instanceTypes.length > 1 ? `; also allowed: ${pool.instanceTypes.slice(1).join(", ")} (priced as ${type})` : "";
    const lines: CostLine[] = [line({
      category: "EC2",
      item: `${type} On-Demand (${pool.pool} pool)`,
      quantity: range(atMin.onDemand * h, atMax.onDemand * h),
      unit: "instance-hours",
      priceName: `ec2.${type}`,
      price,
      note: `${atMin.onDemand}–${atMax.onDemand} instances x ${h} h${others}`,
      resources: res,
    })];
    if (pool.spotAbove !== undefined) {
      lines.push(line({
        category: "EC2",
        item: `${type} Spot (${pool.pool} pool, above ${pool.spotAbove} On-Demand)`,
        quantity: range(atMin.spot * h, atMax.spot * h),
        unit: "instance-hours",
        priceName: `ec2.${type}`,
        price,
        factor: 1 - ctx.assumptions.spotDiscount,
        note: `${atMin.spot}–${atMax.spot} instances at ${Math.round(ctx.assumptions.spotDiscount * 100)}% below On-Demand (costSpotDiscountPercent)`,
        resources: res,
      }));
    }
    const warm = pool.warmPool ? range(warmPoolSize(pool.warmPool, pool.minSize), warmPoolSize(pool.warmPool, pool.maxSize)) : range(0);
    if (pool.warmPool) {
      lines.push(line({
        category: "EC2",
        item: `${type} warm pool, Stopped (${pool.pool} pool)`,
        quantity: warm,
        unit: "stopped instances",
        priceName: "no instance charge while stopped",
        price: { usd: 0, unit: "per stopped instance", status: "confirmed", source: "EC2 bills no instance-hours for stopped instances; their volumes are billed" },
        note: `max(warm pool min ${pool.warmPool.minSize}, ${pool.warmPool.maxPrepared} prepared − running): the root volumes are billed below`,
        resources: res,
      }));
    }
    lines.push(line({
      category: "EBS",
      item: `gp3 root volumes, ${pool.rootVolumeGiB} GiB (${pool.pool} pool${pool.warmPool ? ", running + warm pool" : ""})`,
      quantity: range((pool.minSize + warm.min) * pool.rootVolumeGiB, (pool.maxSize + warm.max) * pool.rootVolumeGiB),
      unit: "GiB-months",
      priceName: "ebsGp3GiBMonth",
      price: PRICES.ebsGp3GiBMonth,
      note: `${pool.minSize + warm.min}–${pool.maxSize + warm.max} volumes`,
      resources: res,
    }));
    return lines;
  });
};

const natRule: CostRule = (nats, ctx) => {
  const lines = [line({
    category: "NAT gateway",
    item: `${nats.length} NAT gateway${nats.length === 1 ? "" : "s"}, hours`,
    quantity: range(nats.length * ctx.assumptions.hoursPerMonth),
    unit: "gateway-hours",
    priceName: "natGatewayHour",
    price: PRICES.natGatewayHour,
    resources: ids(nats),
  })];
  if (ctx.assumptions.natProcessedGiB > 0) {
    lines.push(line({
      category: "NAT gateway",
      item: "data processed",
      quantity: range(ctx.assumptions.natProcessedGiB),
      unit: "GiB",
      priceName: "natGatewayGiB",
      price: PRICES.natGatewayGiB,
      note: "costNatProcessedGiBPerMonth",
      resources: ids(nats),
    }));
  } else {
    ctx.leaveOut("NAT gateway data processing ($0.062/GiB): costNatProcessedGiBPerMonth is 0");
  }
  return lines;
};

const eipRule: CostRule = (eips, ctx) => [line({
  category: "Public IPv4",
  item: `${eips.length} Elastic IP${eips.length === 1 ? "" : "s"} (NAT gateways)`,
  quantity: range(eips.length * ctx.assumptions.hoursPerMonth),
  unit: "address-hours",
  priceName: "publicIpv4Hour",
  price: PRICES.publicIpv4Hour,
  resources: ids(eips),
})];

const loadBalancerRule: CostRule = (lbs, ctx) => lbs.flatMap((lb) => {
  const h = ctx.assumptions.hoursPerMonth;
  const network = lb.inputs.loadBalancerType === "network";
  const name = String(lb.inputs.name ?? lb.name);
  const lines = [line({
    category: "Load balancing",
    item: `${network ? "NLB" : "ALB"} ${name}, hours`,
    quantity: range(h),
    unit: "hours",
    priceName: network ? "nlbHour" : "albHour",
    price: network ? PRICES.nlbHour : PRICES.albHour,
    resources: [lb.id],
  })];
  if (network) {
    ctx.leaveOut(`NLB capacity units of ${name} ($0.006/NLCU-hour): no assumption for NLB traffic`);
  } else {
    lines.push(line({
      category: "Load balancing",
      item: `ALB ${name}, capacity units`,
      quantity: range(ctx.assumptions.albLcus * h),
      unit: "LCU-hours",
      priceName: "albLcuHour",
      price: PRICES.albLcuHour,
      note: "costAlbLcus",
      resources: [lb.id],
    }));
  }
  if (!lb.inputs.internal) {
    // An internet-facing load balancer holds a public IPv4 address in each of its subnets (AZs).
    const azs = (lb.inputs.subnets ?? lb.inputs.subnetMappings ?? []).length;
    lines.push(line({
      category: "Public IPv4",
      item: `${azs} addresses of ${network ? "NLB" : "ALB"} ${name} (one per AZ)`,
      quantity: range(azs * h),
      unit: "address-hours",
      priceName: "publicIpv4Hour",
      price: PRICES.publicIpv4Hour,
      resources: [lb.id],
    }));
  }
  return lines;
});

const endpointRule: CostRule = (endpoints, ctx) => {
  const iface = endpoints.filter((e) => e.inputs.vpcEndpointType === "Interface");
  const gateways = endpoints.filter((e) => e.inputs.vpcEndpointType !== "Interface");
  const azHours = iface.reduce((sum, e) => sum + (e.inputs.subnetIds ?? []).length, 0) * ctx.assumptions.hoursPerMonth;
  const azs = [...new Set(iface.map((e) => (e.inputs.subnetIds ?? []).length))].join("/");
  if (iface.length > 0) ctx.leaveOut("data processed by interface endpoints ($0.01/GiB)");
  return [
    ...(iface.length > 0
      ? [line({
        category: "VPC endpoints",
        item: `${iface.length} interface endpoints x ${azs} AZs`,
        quantity: range(azHours),
        unit: "endpoint-AZ-hours",
        priceName: "interfaceEndpointAzHour",
        price: PRICES.interfaceEndpointAzHour,
        resources: ids(iface),
      })]
      : []),
    ...(gateways.length > 0
      ? [line({
        category: "VPC endpoints",
        item: `${gateways.length} gateway endpoint${gateways.length === 1 ? "" : "s"} (S3): no charge`,
        quantity: range(gateways.length),
        unit: "endpoints",
        priceName: "gateway endpoints are free",
        price: { usd: 0, unit: "per gateway endpoint", status: "confirmed", source: "AWS PrivateLink pricing: gateway endpoints carry no charge" },
        resources: ids(gateways),
      })]
      : []),
  ];
};

const rdsRule: CostRule = (instances, ctx) => instances.flatMap((db) => {
  const cls = String(db.inputs.instanceClass);
  const multiAz = db.inputs.multiAz === true;
  const copies = multiAz ? 2 : 1;
  const name = String(db.inputs.identifier ?? db.name);
  const lines = [
    line({
      category: "RDS",
      item: `${name} ${db.inputs.engine} ${cls}${multiAz ? " Multi-AZ" : ""}`,
      quantity: range(ctx.assumptions.hoursPerMonth),
      unit: "instance-hours",
      priceName: `rds.${cls}`,
      price: RDS_POSTGRES_HOUR[cls],
      factor: copies,
      note: multiAz ? "Multi-AZ: a standby instance, billed as a second instance" : undefined,
      resources: [db.id],
    }),
    line({
      category: "RDS",
      item: `${name} gp3 storage${multiAz ? " (x2, Multi-AZ)" : ""}`,
      quantity: range(Number(db.inputs.allocatedStorage ?? 0)),
      unit: "GiB-months",
      priceName: "rdsGp3GiBMonth",
      price: PRICES.rdsGp3GiBMonth,
      factor: copies,
      note: db.inputs.maxAllocatedStorage ? `allocated size; autoscaling may grow it to ${db.inputs.maxAllocatedStorage} GiB` : undefined,
      resources: [db.id],
    }),
  ];
  if (db.inputs.manageMasterUserPassword) {
    lines.push(line({
      category: "Secrets Manager",
      item: `RDS-managed master secret of ${name}`,
      quantity: range(1),
      unit: "secret-months",
      priceName: "secretMonth",
      price: PRICES.secretMonth,
      resources: [db.id],
    }));
  }
  ctx.leaveOut("RDS backup storage beyond the database's size, and the log groups RDS creates for exported logs (never expire unless set)");
  return lines;
});

const redisRule: CostRule = (groups, ctx) => groups.map((g) => {
  const node = String(g.inputs.nodeType);
  const nodes = Number(g.inputs.numCacheClusters ?? 1);
  return line({
    category: "ElastiCache",
    item: `${g.inputs.replicationGroupId ?? g.name} ${node} x ${nodes}`,
    quantity: range(nodes * ctx.assumptions.hoursPerMonth),
    unit: "node-hours",
    priceName: `elasticache.${node}`,
    price: ELASTICACHE_NODE_HOUR[node],
    resources: [g.id],
  });
});

const logGroupRule: CostRule = (groups, ctx) => {
  const ingest = ctx.assumptions.logIngestGiB;
  const share = groups.length > 0 ? ingest / groups.length : 0;
  // Steady state: each group keeps its share of ingest for its retention period.
  const kept = groups.filter((g) => Number(g.inputs.retentionInDays ?? 0) > 0);
  const stored = kept.reduce((sum, g) => sum + share * (Number(g.inputs.retentionInDays) / DAYS_PER_MONTH), 0);
  const forever = groups.length - kept.length;
  if (forever > 0) ctx.leaveOut(`storage of ${forever} log group(s) that never expire`);
  return [
    line({
      category: "CloudWatch Logs",
      item: `ingestion into ${groups.length} log groups`,
      quantity: range(ingest),
      unit: "GiB",
      priceName: "logsIngestGiB",
      price: PRICES.logsIngestGiB,
      note: "costLogIngestGiBPerMonth (flow logs and DNS query logs included)",
      resources: ids(groups),
    }),
    line({
      category: "CloudWatch Logs",
      item: "storage at steady state (ingest kept for each group's retention)",
      quantity: range(stored),
      unit: "GiB-months",
      priceName: "logsStorageGiBMonth",
      price: PRICES.logsStorageGiBMonth,
      note: "ingest split evenly over the groups; billed compressed, so an upper bound",
      resources: ids(kept),
    }),
  ];
};

/** Metrics an alarm evaluates: each metric query with a metric (expressions are free). */
function alarmMetricCount(alarm: CapturedResource): number {
  const queries = alarm.inputs.metricQueries;
  if (Array.isArray(queries) && queries.length > 0) return queries.filter((q: { metric?: unknown }) => q.metric).length;
  return alarm.inputs.metricName ? 1 : 0;
}

const alarmRule: CostRule = (alarms) => {
  const metrics = alarms.reduce((sum, a) => sum + alarmMetricCount(a), 0);
  return [line({
    category: "CloudWatch",
    item: `${alarms.length} alarms (${metrics} metrics, standard resolution)`,
    quantity: range(metrics),
    unit: "alarm metric-months",
    priceName: "alarmMetricMonth",
    price: PRICES.alarmMetricMonth,
    resources: ids(alarms),
  })];
};

// The filter itself is free; each metric it publishes is a custom metric.
const metricFilterRule: CostRule = (filters) => [line({
  category: "CloudWatch",
  item: `${filters.length} log metric filter${filters.length === 1 ? "" : "s"} (one custom metric each)`,
  quantity: range(filters.length),
  unit: "custom metric-months",
  priceName: "customMetricMonth",
  price: PRICES.customMetricMonth,
  resources: ids(filters),
})];

const dashboardRule: CostRule = (dashboards) => [line({
  category: "CloudWatch",
  item: `${dashboards.length} dashboard${dashboards.length === 1 ? "" : "s"}`,
  quantity: range(dashboards.length),
  unit: "dashboard-months",
  priceName: "dashboardMonth",
  price: PRICES.dashboardMonth,
  resources: ids(dashboards),
})];

const domainListRule: CostRule = (lists) => {
  const names = lists.reduce((sum, l) => sum + (Array.isArray(l.inputs.domains) ? l.inputs.domains.length : 0), 0);
  return [line({
    category: "DNS Firewall",
    item: `${names} domain names in ${lists.length} domain lists`,
    quantity: range(names),
    unit: "domain-months",
    priceName: "dnsFirewallDomainMonth",
    price: PRICES.dnsFirewallDomainMonth,
    resources: ids(lists),
  })];
};

const firewallAssociationRule: CostRule = (associations, ctx) => [line({
  category: "DNS Firewall",
  item: `queries inspected (${associations.length} VPC association${associations.length === 1 ? "" : "s"})`,
  quantity: range(ctx.assumptions.dnsQueriesMillions),
  unit: "million queries",
  priceName: "dnsFirewallMillionQueries",
  price: PRICES.dnsFirewallMillionQueries,
  note: "costDnsQueriesMillionsPerMonth",
  resources: ids(associations),
})];

/** Action-minutes one run of a template bills: each action's duration, at least one minute. */
function fisActionMinutes(template: CapturedResource): number {
  return (template.inputs.actions ?? []).reduce((sum: number, a: { parameters?: { key: string; value: string }[] }) => {
    const duration = (a.parameters ?? []).find((p) => p.key === "duration")?.value;
    return sum + Math.max(1, (duration ? isoMinutes(duration) : undefined) ?? 1);
  }, 0);
}

const fisRule: CostRule = (templates, ctx) => {
  const perRun = templates.reduce((sum, t) => sum + fisActionMinutes(t), 0);
  const runs = ctx.assumptions.fisRunsPerMonth;
  return [line({
    category: "FIS",
    item: `${templates.length} drill templates, ${perRun} action-minutes per round x ${runs} rounds`,
    quantity: range(perRun * runs),
    unit: "action-minutes",
    priceName: "fisActionMinute",
    price: PRICES.fisActionMinute,
    note: "costFisRunsPerMonth; actions without a duration count one minute",
    resources: ids(templates),
  })];
};

const secretRule: CostRule = (secrets) => [line({
  category: "Secrets Manager",
  item: `${secrets.length} secrets`,
  quantity: range(secrets.length),
  unit: "secret-months",
  priceName: "secretMonth",
  price: PRICES.secretMonth,
  resources: ids(secrets),
})];

const kmsRule: CostRule = (keys) => [line({
  category: "KMS",
  item: `${keys.length} customer managed key${keys.length === 1 ? "" : "s"}`,
  quantity: range(keys.length),
  unit: "key-months",
  priceName: "kmsKeyMonth",
  price: PRICES.kmsKeyMonth,
  resources: ids(keys),
})];

const imageRule: CostRule = (images, ctx) => images.map((image) => {
  const recipe = ctx.graph.byArn(String(image.inputs.imageRecipeArn));
  const gib = Number(recipe?.inputs.blockDeviceMappings?.[0]?.ebs?.volumeSize ?? 0);
  return line({
    category: "EBS",
    item: "snapshot of the built AMI (upper bound: the whole root volume)",
    quantity: range(gib),
    unit: "GiB-months",
    priceName: "ebsSnapshotGiBMonth",
    price: PRICES.ebsSnapshotGiBMonth,
    note: "snapshots keep used blocks only; older AMIs are kept until deregistered",
    resources: [image.id, ...(recipe ? [recipe.id] : [])],
  });
});

const taskDefinitionRule: CostRule = (defs, ctx) => {
  // Per-workspace volumes are created by ECS at RunTask, not by Pulumi: the task definition only
  // says a volume is configured at launch (Pulumi's input is configureAtLaunch, ECS's API field
  // configuredAtLaunch).
  const atLaunch = (v: { configureAtLaunch?: unknown; configuredAtLaunch?: unknown }) => v.configureAtLaunch === true || v.configuredAtLaunch === true;
  const withVolumes = defs.filter((d) => (d.inputs.volumes ?? []).some(atLaunch));
  if (withVolumes.length === 0) return [];
  const { workspaceVolumes, workspaceVolumeGiB } = ctx.assumptions;
  return [line({
    category: "EBS",
    item: `per-workspace gp3 volumes (${workspaceVolumes} x ${workspaceVolumeGiB} GiB)`,
    quantity: range(workspaceVolumes * workspaceVolumeGiB),
    unit: "GiB-months",
    priceName: "ebsGp3GiBMonth",
    price: PRICES.ebsGp3GiBMonth,
    note: "costWorkspaceVolumes x costWorkspaceVolumeGiB; their snapshots are left out",
    resources: ids(withVolumes),
  })];
};

const networkFirewallRule: CostRule = (firewalls, ctx) => {
  ctx.leaveOut("data processed by Network Firewall ($0.081/GiB)");
  const endpoints = firewalls.reduce((sum, f) => sum + (f.inputs.subnetMappings ?? []).length, 0);
  return [line({
    category: "Network Firewall",
    item: `${firewalls.length} firewall(s), ${endpoints} AZ endpoints`,
    quantity: range(endpoints * ctx.assumptions.hoursPerMonth),
    unit: "endpoint-hours",
    priceName: "networkFirewallEndpointHour",
    price: PRICES.networkFirewallEndpointHour,
    resources: ids(firewalls),
  })];
};

export const NETWORK_FIREWALL_TYPE = "aws:networkfirewall/firewall:Firewall";

/** Priced resource types and their rules. */
export const COST_RULES: Readonly<Record<string, CostRule>> = {
  "aws:autoscaling/group:Group": hostPoolsRule,
  "aws:ec2/natGateway:NatGateway": natRule,
  "aws:ec2/eip:Eip": eipRule,
  "aws:lb/loadBalancer:LoadBalancer": loadBalancerRule,
  "aws:ec2/vpcEndpoint:VpcEndpoint": endpointRule,
  "aws:rds/instance:Instance": rdsRule,
  "aws:elasticache/replicationGroup:ReplicationGroup": redisRule,
  "aws:cloudwatch/logGroup:LogGroup": logGroupRule,
  "aws:cloudwatch/metricAlarm:MetricAlarm": alarmRule,
  "aws:cloudwatch/logMetricFilter:LogMetricFilter": metricFilterRule,
  "aws:cloudwatch/dashboard:Dashboard": dashboardRule,
  "aws:route53/resolverFirewallDomainList:ResolverFirewallDomainList": domainListRule,
  "aws:route53/resolverFirewallRuleGroupAssociation:ResolverFirewallRuleGroupAssociation": firewallAssociationRule,
  "aws:fis/experimentTemplate:ExperimentTemplate": fisRule,
  "aws:secretsmanager/secret:Secret": secretRule,
  "aws:kms/key:Key": kmsRule,
  "aws:imagebuilder/image:Image": imageRule,
  "aws:ecs/taskDefinition:TaskDefinition": taskDefinitionRule,
  [NETWORK_FIREWALL_TYPE]: networkFirewallRule,
};

type UnpricedKind = "free" | "counted elsewhere" | "not estimated";

interface Unpriced {
  readonly kind: UnpricedKind;
  readonly reason: string;
}

const free = (reason: string): Unpriced => ({ kind: "free", reason });
const elsewhere = (reason: string): Unpriced => ({ kind: "counted elsewhere", reason });
const notEstimated = (reason: string): Unpriced => ({ kind: "not estimated", reason });

/** Types that add no line of their own, and why. "not estimated" ones are listed as left out. */
export const UNPRICED_TYPES: Readonly<Record<string, Unpriced>> = {
  "aws:ec2/vpc:Vpc": free("VPCs, subnets, route tables and gateways to the internet carry no charge"),
  "aws:ec2/subnet:Subnet": free("no charge"),
  "aws:ec2/routeTable:RouteTable": free("no charge"),
  "aws:ec2/route:Route": free("no charge"),
  "aws:ec2/routeTableAssociation:RouteTableAssociation": free("no charge"),
  "aws:ec2/internetGateway:InternetGateway": free("no charge (data transfer out is left out)"),
  "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": free("no charge"),
  "aws:ec2/securityGroup:SecurityGroup": free("no charge"),
  "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": free("no charge"),
  "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": free("no charge"),
  "aws:ec2/flowLog:FlowLog": elsewhere("delivery to CloudWatch Logs is billed as log ingestion (costLogIngestGiBPerMonth)"),
  "aws:ec2/launchTemplate:LaunchTemplate": elsewhere("its instances and root volumes are priced through the Auto Scaling group"),
  "aws:iam/role:Role": free("IAM carries no charge"),
  "aws:iam/rolePolicy:RolePolicy": free("IAM carries no charge"),
  "aws:iam/policy:Policy": free("IAM carries no charge"),
  "aws:iam/rolePolicyAttachment:RolePolicyAttachment": free("IAM carries no charge"),
  "aws:iam/instanceProfile:InstanceProfile": free("IAM carries no charge"),
  "aws:kms/alias:Alias": free("aliases carry no charge"),
  "aws:secretsmanager/secretVersion:SecretVersion": elsewhere("included in its secret's monthly price"),
  "random:index/randomPassword:RandomPassword": free("generated by Pulumi, not an AWS resource"),
  "aws:ecs/cluster:Cluster": notEstimated("the cluster is free on EC2; its Container Insights metrics (custom metrics, $0.30/metric-month) are not estimated, its performance logs count as log ingestion"),
  "aws:ecs/service:Service": free("ECS on EC2 bills only the instances"),
  "aws:ecs/capacityProvider:CapacityProvider": free("no charge"),
  "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders": free("no charge"),
  "aws:ecs/accountSettingDefault:AccountSettingDefault": free("no charge"),
  "aws:appautoscaling/target:Target": free("Application Auto Scaling carries no charge"),
  "aws:appautoscaling/policy:Policy": free("no charge (its CloudWatch alarms are AWS-managed)"),
  "aws:lb/targetGroup:TargetGroup": elsewhere("included in the load balancer's hours and capacity units"),
  "aws:lb/listener:Listener": elsewhere("included in the load balancer's hours and capacity units"),
  "aws:lb/listenerRule:ListenerRule": elsewhere("included in the load balancer's capacity units (the first 10 rules evaluate free)"),
  "aws:rds/parameterGroup:ParameterGroup": free("no charge"),
  "aws:rds/subnetGroup:SubnetGroup": free("no charge"),
  "aws:elasticache/subnetGroup:SubnetGroup": free("no charge"),
  "aws:ecr/repository:Repository": notEstimated("image storage ($0.10/GiB-month; the lifecycle keeps at most 100 images per repository) is not estimated"),
  "aws:ecr/lifecyclePolicy:LifecyclePolicy": free("no charge"),
  "aws:sns/topic:Topic": free("alarm volumes stay within SNS's free million publishes and 1,000 e-mails a month"),
  "aws:sns/topicSubscription:TopicSubscription": free("within SNS's free tier at alarm volumes"),
  "aws:route53/resolverFirewallRuleGroup:ResolverFirewallRuleGroup": elsewhere("queries are priced through its VPC association, names through its domain lists"),
  "aws:route53/resolverFirewallRule:ResolverFirewallRule": elsewhere("priced through the rule group's association"),
  "aws:route53/resolverFirewallConfig:ResolverFirewallConfig": free("no charge"),
  "aws:route53/resolverQueryLogConfig:ResolverQueryLogConfig": elsewhere("query logs are billed as log ingestion (costLogIngestGiBPerMonth)"),
  "aws:route53/resolverQueryLogConfigAssociation:ResolverQueryLogConfigAssociation": elsewhere("query logs are billed as log ingestion"),
  "aws:imagebuilder/component:Component": free("Image Builder carries no charge of its own"),
  "aws:imagebuilder/imageRecipe:ImageRecipe": free("Image Builder carries no charge of its own"),
  "aws:imagebuilder/infrastructureConfiguration:InfrastructureConfiguration": notEstimated("each AMI build runs a c6i.large for about an hour (one-off per build, not monthly)"),
  "aws:imagebuilder/distributionConfiguration:DistributionConfiguration": free("no charge"),
  "aws:imagebuilder/imagePipeline:ImagePipeline": free("no schedule: it runs only when started"),
  // Workspace storage: the retained-volumes monitor.
  "aws:lambda/function:Function": notEstimated("the retained-volumes monitor: about 2,900 runs a month of 256 MB for about a second, inside Lambda's free tier (400,000 GB-s a month); its two custom metrics ($0.30/metric-month) are not estimated"),
  "aws:lambda/permission:Permission": free("no charge"),
  "aws:cloudwatch/eventRule:EventRule": free("scheduled rules carry no charge"),
  "aws:cloudwatch/eventTarget:EventTarget": free("no charge"),
};
