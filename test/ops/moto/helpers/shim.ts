// The moto shim: a small forwarding server in front of moto, on loopback. The ops tool's
// AWS_ENDPOINT_URL points here and every request goes on to moto unchanged; only where moto 5.2
// departs from AWS (read in its source, e.g. moto/ecs/models.py) or has no API at all does the shim
// answer or amend. Each amendment names the gap; nothing here decides what the tool is judged on
// beyond filling those gaps:
// - ECS tasks: moto gives a task only the first container of its definition; the others are added
//   with the first one's status and health (moto always reports HEALTHY: health is not judged here).
// - ListTasks: moto lists every task when desiredStatus is absent (ECS: RUNNING only) and ignores
//   serviceName (ECS: the service's tasks, group "service:NAME").
// - ListContainerInstances: moto ignores status and the cluster-query filter; applied here for
//   the only form the tool sends, `attribute:NAME == VALUE [and …]`.
// - Container instances: moto cannot tag them (TagResource answers 500); tags are kept here and
//   returned by DescribeContainerInstances with include TAGS.
// - DescribeAlarms: moto ignores StateValue when AlarmNames are given; the answer is filtered here.
// - Route 53 Resolver DNS Firewall: moto has no API; the three reads of the static audit are
//   answered from what the fixture recorded from the plan (consistency, not an outside judge).
// It also records every operation it forwards, so a test can say which calls a run made.
import * as http from "node:http";
import type { AddressInfo } from "node:net";

const ECS_PREFIX = "AmazonEC2ContainerServiceV20141113.";
const RESOLVER_PREFIX = "Route53Resolver.";
const CLOUDWATCH_PREFIX = "GraniteServiceVersion20100801.";

interface FirewallRecord {
  readonly ruleGroupId: string;
  readonly associationId: string;
  readonly vpcId: string;
  readonly mutationProtection: string;
  readonly failOpen: string;
  readonly rules: readonly { readonly Name: string; readonly Action: string; readonly Priority: number; readonly FirewallDomainListId: string; readonly BlockResponse?: string }[];
}

interface Upstream {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

/** The operation a request names: JSON protocols by X-Amz-Target, query protocols by Action, RPC v2 CBOR by path. */
function operationOf(req: http.IncomingMessage, body: Buffer): string {
  const target = String(req.headers["x-amz-target"] ?? "");
  if (target) return target.split(".").pop() ?? target;
  const cbor = /\/operation\/([A-Za-z]+)$/.exec(req.url ?? "");
  if (cbor) return cbor[1];
  const action = new URLSearchParams(body.toString("utf8")).get("Action");
  return action ?? `${req.method} ${req.url}`;
}

export class MotoShim {
  /** Operations forwarded or answered, in order. */
  readonly operations: string[] = [];
  /** DNS Firewall per VPC id (what moto cannot hold). */
  readonly firewalls = new Map<string, FirewallRecord>();
  private readonly instanceTags = new Map<string, Map<string, string>>();
  private readonly containerDefs = new Map<string, { name: string; image?: string }[]>();
  private server?: http.Server;

  constructor(private readonly motoUrl: string) {}

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        this.handle(req, Buffer.concat(chunks)).then(
          (r) => {
            // The body may have been rewritten: its length is set anew, never chunked.
            const { "content-length": _length, "transfer-encoding": _chunked, connection: _connection, ...headers } = r.headers;
            res.writeHead(r.status, { ...headers, "content-length": String(r.body.length) });
            res.end(r.body);
          },
          (err: Error) => {
            res.writeHead(500, { "content-type": "application/x-amz-json-1.1" });
            res.end(JSON.stringify({ __type: "ShimFailure", message: err.message }));
          },
        );
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.server) return resolve();
      this.server.close(() => resolve());
      // Keep-alive connections of the SDK clients would hold close() open.
      this.server.closeAllConnections();
    });
  }

  /** Forgets what the shim holds for moto's resources (after a moto reset). */
  reset(): void {
    this.instanceTags.clear();
    this.containerDefs.clear();
    this.firewalls.clear();
    this.operations.length = 0;
  }

  /** A container instance's tags (moto cannot hold them). */
  instanceTagsOf(arn: string): Record<string, string> {
    return Object.fromEntries(this.instanceTags.get(arn) ?? []);
  }

  /** Operations recorded since `from` (an index into `operations`). */
  since(from: number): string[] {
    return this.operations.slice(from);
  }

  private forward(req: Pick<http.IncomingMessage, "method" | "url" | "headers">, body: Buffer): Promise<Upstream> {
    const url = new URL(this.motoUrl);
    return new Promise((resolve, reject) => {
      const headers = { ...req.headers, host: url.host, "content-length": String(body.length) };
      const up = http.request({ host: url.hostname, port: url.port, method: req.method, path: req.url, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 500, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on("error", reject);
      });
      up.on("error", reject);
      up.end(body);
    });
  }

  /** An ECS call of the shim's own (to read what it amends with), signed like the request it serves. */
  private async ecsCall(op: string, input: unknown, like: http.IncomingMessage): Promise<any> {
    const r = await this.forward({ method: "POST", url: "/", headers: { ...like.headers, "x-amz-target": `${ECS_PREFIX}${op}` } }, Buffer.from(JSON.stringify(input)));
    if (r.status !== 200) throw new Error(`moto shim: ${op} answered ${r.status}: ${r.body.toString("utf8").slice(0, 300)}`);
    return JSON.parse(r.body.toString("utf8") || "{}");
  }

  private async handle(req: http.IncomingMessage, body: Buffer): Promise<Upstream> {
    const op = operationOf(req, body);
    this.operations.push(op);
    const target = String(req.headers["x-amz-target"] ?? "");
    if (target.startsWith(RESOLVER_PREFIX)) {
      const answer = this.resolver(op, JSON.parse(body.toString("utf8") || "{}"));
      if (answer) return answer;
    }
    if (target === `${CLOUDWATCH_PREFIX}DescribeAlarms`) {
      const input = JSON.parse(body.toString("utf8") || "{}");
      const r = await this.forward(req, body);
      if (r.status !== 200 || !input.StateValue) return r;
      const out = JSON.parse(r.body.toString("utf8"));
      for (const key of ["MetricAlarms", "CompositeAlarms"]) if (out[key]) out[key] = out[key].filter((a: any) => a.StateValue === input.StateValue);
      return json(r, out);
    }
    if (!target.startsWith(ECS_PREFIX)) return this.forward(req, body);

    const input = JSON.parse(body.toString("utf8") || "{}");
    switch (op) {
      case "TagResource":
      case "UntagResource":
      case "ListTagsForResource":
        if (String(input.resourceArn).includes(":container-instance/")) return this.instanceTagging(op, input);
        break;
      case "ListTasks": {
        const amended = { ...input, desiredStatus: input.desiredStatus ?? "RUNNING" };
        const r = await this.forward(req, Buffer.from(JSON.stringify(amended)));
        if (r.status !== 200 || !input.serviceName) return r;
        const listed = JSON.parse(r.body.toString("utf8"));
        const arns: string[] = listed.taskArns ?? [];
        const described = arns.length > 0 ? await this.ecsCall("DescribeTasks", { cluster: input.cluster, tasks: arns }, req) : { tasks: [] };
        const group = `service:${String(input.serviceName).split("/").pop()}`;
        const keep = new Set((described.tasks ?? []).filter((t: any) => t.group === group).map((t: any) => t.taskArn));
        return json(r, { ...listed, taskArns: arns.filter((a) => keep.has(a)) });
      }
      case "ListContainerInstances":
        if (input.status || input.filter) return this.listInstances(req, body, input);
        break;
      case "DescribeContainerInstances": {
        const r = await this.forward(req, body);
        if (r.status !== 200 || !(input.include ?? []).includes("TAGS")) return r;
        const out = JSON.parse(r.body.toString("utf8"));
        for (const ci of out.containerInstances ?? []) {
          const tags = this.instanceTags.get(ci.containerInstanceArn);
          ci.tags = tags ? [...tags].map(([key, value]) => ({ key, value })) : [];
        }
        return json(r, out);
      }
      case "RunTask":
      case "DescribeTasks":
      case "StopTask": {
        const r = await this.forward(req, body);
        if (r.status !== 200) return r;
        const out = JSON.parse(r.body.toString("utf8"));
        for (const task of [...(out.tasks ?? []), ...(out.task ? [out.task] : [])]) await this.completeContainers(task, req);
        return json(r, out);
      }
    }
    return this.forward(req, body);
  }

  private async completeContainers(task: any, like: http.IncomingMessage): Promise<void> {
    const arn: string | undefined = task.taskDefinitionArn;
    if (!arn) return;
    let defs = this.containerDefs.get(arn);
    if (!defs) {
      const d = await this.ecsCall("DescribeTaskDefinition", { taskDefinition: arn }, like);
      defs = (d.taskDefinition?.containerDefinitions ?? []) as { name: string; image?: string }[];
      this.containerDefs.set(arn, defs);
    }
    const containers: any[] = task.containers ?? [];
    const first = containers[0] ?? {};
    for (const def of defs) {
      if (containers.some((c) => c.name === def.name)) continue;
      containers.push({
        containerArn: `${task.taskArn}/${def.name}`,
        taskArn: task.taskArn,
        name: def.name,
        image: def.image,
        lastStatus: first.lastStatus,
        healthStatus: first.healthStatus,
      });
    }
    task.containers = containers;
  }

  private async listInstances(req: http.IncomingMessage, body: Buffer, input: any): Promise<Upstream> {
    const r = await this.forward(req, body);
    if (r.status !== 200) return r;
    const listed = JSON.parse(r.body.toString("utf8"));
    const arns: string[] = listed.containerInstanceArns ?? [];
    const conditions: [string, string][] = [];
    for (const part of input.filter ? String(input.filter).split(/\s+and\s+/) : []) {
      const m = /^attribute:(\S+)\s*==\s*(\S+)$/.exec(part.trim());
      if (!m) return errorAnswer(r, "InvalidParameterException", `the moto shim applies only "attribute:NAME == VALUE [and …]" filters, got ${input.filter}`);
      conditions.push([m[1], m[2]]);
    }
    const described = arns.length > 0 ? await this.ecsCall("DescribeContainerInstances", { cluster: input.cluster, containerInstances: arns }, req) : { containerInstances: [] };
    const keep = (described.containerInstances ?? []).filter((ci: any) =>
      (!input.status || ci.status === input.status) &&
      conditions.every(([name, value]) => (ci.attributes ?? []).some((a: any) => a.name === name && a.value === value)));
    return json(r, { ...listed, containerInstanceArns: keep.map((ci: any) => ci.containerInstanceArn) });
  }

  private instanceTagging(op: string, input: any): Upstream {
    const tags = this.instanceTags.get(input.resourceArn) ?? new Map<string, string>();
    this.instanceTags.set(input.resourceArn, tags);
    if (op === "TagResource") for (const t of input.tags ?? []) tags.set(t.key, t.value);
    if (op === "UntagResource") for (const k of input.tagKeys ?? []) tags.delete(k);
    const payload = op === "ListTagsForResource" ? { tags: [...tags].map(([key, value]) => ({ key, value })) } : {};
    return { status: 200, headers: { "content-type": "application/x-amz-json-1.1" }, body: Buffer.from(JSON.stringify(payload)) };
  }

  private resolver(op: string, input: any): Upstream | undefined {
    const answer = (payload: unknown) => ({ status: 200, headers: { "content-type": "application/x-amz-json-1.1" }, body: Buffer.from(JSON.stringify(payload)) });
    const notFound = (what: string) => ({ status: 400, headers: { "content-type": "application/x-amz-json-1.1" }, body: Buffer.from(JSON.stringify({ __type: "ResourceNotFoundException", Message: `${what} not found` })) });
    const fws = [...this.firewalls.values()];
    switch (op) {
      case "GetFirewallRuleGroupAssociation": {
        const fw = fws.find((f) => f.associationId === input.FirewallRuleGroupAssociationId);
        if (!fw) return notFound(`association ${input.FirewallRuleGroupAssociationId}`);
        return answer({ FirewallRuleGroupAssociation: { Id: fw.associationId, FirewallRuleGroupId: fw.ruleGroupId, VpcId: fw.vpcId, Status: "COMPLETE", MutationProtection: fw.mutationProtection } });
      }
      case "GetFirewallConfig": {
        const fw = this.firewalls.get(input.ResourceId);
        // Like AWS: a VPC without a configuration answers the default (fail-open disabled).
        return answer({ FirewallConfig: { ResourceId: input.ResourceId, FirewallFailOpen: fw?.failOpen ?? "DISABLED" } });
      }
      case "ListFirewallRules": {
        const fw = fws.find((f) => f.ruleGroupId === input.FirewallRuleGroupId);
        if (!fw) return notFound(`rule group ${input.FirewallRuleGroupId}`);
        return answer({ FirewallRules: fw.rules.map((r) => ({ FirewallRuleGroupId: fw.ruleGroupId, ...r })) });
      }
      default:
        return undefined;
    }
  }
}

function json(like: Upstream, payload: unknown): Upstream {
  return { status: like.status, headers: { ...like.headers }, body: Buffer.from(JSON.stringify(payload)) };
}

function errorAnswer(like: Upstream, type: string, message: string): Upstream {
  return { status: 400, headers: { ...like.headers }, body: Buffer.from(JSON.stringify({ __type: type, message })) };
}
