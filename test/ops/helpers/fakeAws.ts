// A fake AWS endpoint on 127.0.0.1 for tests that run the real CLI in a child process with the
// real SDK (AWS_ENDPOINT_URL points here): ECS over JSON 1.1 (tasks that stay PENDING until
// stopped, ListTasks by startedBy, one throttled DescribeTasks) and STS GetCallerIdentity.
import * as http from "node:http";
import type { AddressInfo } from "node:net";

interface FakeTask {
  readonly arn: string;
  readonly startedBy?: string;
  stopped: boolean;
}

export class FakeAws {
  readonly tasks: FakeTask[] = [];
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

  private answer(req: http.IncomingMessage, body: string, res: http.ServerResponse): void {
    const target = String(req.headers["x-amz-target"] ?? "");
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
