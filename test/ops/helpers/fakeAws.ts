// A fake AWS endpoint on 127.0.0.1 for tests that run the real CLI in a child process with the
// real SDK (AWS_ENDPOINT_URL points here): ECS over JSON 1.1 (tasks that stay PENDING until
// stopped, ListTasks by startedBy, one throttled DescribeTasks), STS GetCallerIdentity, and EC2's
// query protocol for the tasks' volumes (DescribeVolumes by tag, DeleteVolume; a volume stays
// attached until its task is stopped).
import * as http from "node:http";
import type { AddressInfo } from "node:net";

interface FakeTask {
  readonly arn: string;
  readonly startedBy?: string;
  stopped: boolean;
}

interface FakeVolume {
  readonly id: string;
  readonly task: FakeTask;
  readonly tags: Record<string, string>;
  deleted: boolean;
}

const xmlEscape = (v: string) => v.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

export class FakeAws {
  readonly tasks: FakeTask[] = [];
  readonly volumes: FakeVolume[] = [];
  readonly calls: Record<string, number> = {};
  /** DescribeTasks answers ThrottlingException this many times first. */
  throttleDescribes = 1;
  private server?: http.Server;

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => this.answer(req, body, res));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  running(): FakeTask[] {
    return this.tasks.filter((t) => !t.stopped);
  }

  /** Volumes not deleted. */
  volumesLeft(): string[] {
    return this.volumes.filter((v) => !v.deleted).map((v) => v.id);
  }

  private ec2(body: string, res: http.ServerResponse): void {
    const params = new URLSearchParams(body);
    const op = params.get("Action") ?? "";
    this.count(op);
    const xml = (status: number, text: string) => {
      res.statusCode = status;
      res.setHeader("content-type", "text/xml");
      res.end(text);
    };
    const ns = 'xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"';
    if (op === "DescribeVolumes") {
      const filters: { name: string; values: string[] }[] = [];
      for (let i = 1; params.has(`Filter.${i}.Name`); i++) {
        const values: string[] = [];
        for (let j = 1; params.has(`Filter.${i}.Value.${j}`); j++) values.push(params.get(`Filter.${i}.Value.${j}`) ?? "");
        filters.push({ name: params.get(`Filter.${i}.Name`) ?? "", values });
      }
      const state = (v: FakeVolume) => (v.task.stopped ? "available" : "in-use");
      const found = this.volumes.filter((v) => !v.deleted && filters.every((f) => {
        if (f.name.startsWith("tag:")) return f.values.includes(v.tags[f.name.slice(4)]);
        if (f.name === "status") return f.values.includes(state(v));
        if (f.name === "volume-id") return f.values.includes(v.id);
        if (f.name === "tag-key") return f.values.some((k) => k in v.tags);
        return false;
      }));
      const items = found.map((v) => `<item><volumeId>${v.id}</volumeId><size>20</size><status>${state(v)}</status><availabilityZone>ap-northeast-1a</availabilityZone>` +
        `<createTime>2026-11-23T12:00:00.000Z</createTime><attachmentSet>${v.task.stopped ? "" : `<item><volumeId>${v.id}</volumeId><instanceId>i-0fake</instanceId><status>attached</status><attachTime>2026-11-23T12:00:01.000Z</attachTime></item>`}</attachmentSet>` +
        `<tagSet>${Object.entries(v.tags).map(([k, val]) => `<item><key>${xmlEscape(k)}</key><value>${xmlEscape(val)}</value></item>`).join("")}</tagSet></item>`).join("");
      return xml(200, `<DescribeVolumesResponse ${ns}><requestId>r</requestId><volumeSet>${items}</volumeSet></DescribeVolumesResponse>`);
    }
    if (op === "DeleteVolume") {
      const v = this.volumes.find((x) => x.id === params.get("VolumeId") && !x.deleted);
      const error = (code: string, message: string) => xml(400, `<Response><Errors><Error><Code>${code}</Code><Message>${message}</Message></Error></Errors><RequestID>r</RequestID></Response>`);
      if (!v) return error("InvalidVolume.NotFound", "The volume does not exist.");
      if (!v.task.stopped) return error("VolumeInUse", `Volume ${v.id} is attached.`);
      v.deleted = true;
      return xml(200, `<DeleteVolumeResponse ${ns}><requestId>r</requestId><return>true</return></DeleteVolumeResponse>`);
    }
    return xml(400, `<Response><Errors><Error><Code>InvalidAction</Code><Message>fake has no ${op}</Message></Error></Errors><RequestID>r</RequestID></Response>`);
  }

  private answer(req: http.IncomingMessage, body: string, res: http.ServerResponse): void {
    const target = String(req.headers["x-amz-target"] ?? "");
    if (!target && !body.includes("Action=GetCallerIdentity")) return this.ec2(body, res);
    if (!target) {
      this.count("GetCallerIdentity");
      res.setHeader("content-type", "text/xml");
      res.end(`<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/sre</Arn><UserId>AIDA</UserId><Account>123456789012</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetCallerIdentityResponse>`);
      return;
    }
    const op = target.split(".").pop() ?? "";
    this.count(op);
    const input = JSON.parse(body || "{}");
    const json = (status: number, payload: unknown) => {
      res.statusCode = status;
      res.setHeader("content-type", "application/x-amz-json-1.1");
      res.end(JSON.stringify(payload));
    };
    const now = Date.now() / 1000;
    const view = (t: FakeTask) => ({ taskArn: t.arn, lastStatus: t.stopped ? "STOPPED" : "PENDING", desiredStatus: t.stopped ? "STOPPED" : "RUNNING", createdAt: now, startedBy: t.startedBy, containers: [] });
    switch (op) {
      case "DescribeTaskDefinition":
        return json(200, { taskDefinition: { family: "ws", containerDefinitions: [{ name: "workspace-agent", healthCheck: { command: ["CMD", "true"] } }] } });
      case "RunTask": {
        const tasks = Array.from({ length: input.count ?? 1 }, () => {
          const t: FakeTask = { arn: `arn:aws:ecs:ap-northeast-1:123456789012:task/c/${(this.tasks.length + 1).toString(16).padStart(32, "0")}`, startedBy: input.startedBy, stopped: false };
          this.tasks.push(t);
          const ebs = input.volumeConfigurations?.[0]?.managedEBSVolume;
          if (ebs) {
            const tags = Object.fromEntries((ebs.tagSpecifications?.[0]?.tags ?? []).map((tag: { key: string; value: string }) => [tag.key, tag.value]));
            this.volumes.push({ id: `vol-0${this.volumes.length.toString(16).padStart(16, "0")}`, task: t, tags: { ...tags, AmazonECSCreated: t.arn, AmazonECSManaged: "true" }, deleted: false });
          }
          return view(t);
        });
        return json(200, { tasks, failures: [] });
      }
      case "DescribeTasks":
        if (this.throttleDescribes > 0) {
          this.throttleDescribes--;
          return json(400, { __type: "ThrottlingException", message: "Rate exceeded" });
        }
        return json(200, { tasks: this.tasks.filter((t) => input.tasks.includes(t.arn)).map(view), failures: [] });
      case "StopTask": {
        const t = this.tasks.find((x) => x.arn === input.task);
        if (!t) return json(400, { __type: "InvalidParameterException", message: "The referenced task was not found." });
        t.stopped = true;
        return json(200, { task: view(t) });
      }
      case "ListTasks":
        return json(200, { taskArns: this.tasks.filter((t) => !t.stopped && (!input.startedBy || t.startedBy === input.startedBy)).map((t) => t.arn) });
      default:
        return json(400, { __type: "InvalidParameterException", message: `fake has no ${op}` });
    }
  }

  private count(op: string): void {
    this.calls[op] = (this.calls[op] ?? 0) + 1;
  }
}
