// What to do about a name off the allow list: the config line that would allow it, or why no config
// line can. The DNS Firewall and the egress proxy enforce one list, config dnsAllowedDomains (the
// egress proxy's squid.conf is generated from it); AWS names are the platform's own list
// (lib/awsServices.ts), which config refuses. The egress proxy also refuses, by design, IP
// literals, ports other than 443, plain HTTP and names that resolve to non-public addresses: no
// list entry changes that.
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { allowedDomainProblem } from "../../../config/checks";
import { PROJECT } from "../../../config";
import { NON_PUBLIC_DESTINATION_PAGE } from "../../../lib/squidConfig";

const ALLOW_LIST_KEY = "dnsAllowedDomains";

/** The only destination port the egress proxy tunnels to (squid.conf `acl https_port port 443`). */
const EGRESS_PROXY_HTTPS_PORT = 443;

type AdviceKind = "config" | "deploy" | "platform" | "by-design" | "reverse-lookup" | "invalid" | "probe";

export interface Advice {
  readonly kind: AdviceKind;
  /** The line to run or add, or why there is none. */
  readonly text: string;
}

/** The stack file's own dnsAllowedDomains (not the project default), or undefined when it sets none. */
interface StackAllowList {
  readonly stack: string;
  readonly file: string;
  readonly names?: readonly string[];
}

export function readStackAllowList(projectDir: string, stack: string): StackAllowList {
  const file = path.join(projectDir, `Pulumi.${stack}.yaml`);
  let names: string[] | undefined;
  try {
    const doc = parse(fs.readFileSync(file, "utf8")) ?? {};
    const value = doc?.config?.[`${PROJECT}:${ALLOW_LIST_KEY}`];
    if (Array.isArray(value)) names = value.map(String);
  } catch {
    // No stack file here (the tool may run from elsewhere): the advice then names the key only.
  }
  return { stack, file: path.basename(file), ...(names ? { names } : {}) };
}

/** DNS Firewall matching: "*.example.com" covers every subdomain, not example.com itself. */
export function listCovers(list: readonly string[], name: string): boolean {
  return list.some((entry) => {
    const e = entry.toLowerCase().replace(/\.$/, "");
    return e.startsWith("*.") ? name.endsWith(e.slice(1)) : name === e;
  });
}

const isAwsName = (name: string) => /(^|\.)amazonaws\.com(\.cn)?$/.test(name) || /(^|\.)api\.aws$/.test(name);
const isReverse = (name: string) => /(^|\.)(in-addr|ip6)\.arpa$/.test(name);

/** Hands out list positions for `pulumi config set --path`, one per name, in the order asked. */
export class AllowAdvisor {
  private readonly added: string[] = [];

  constructor(private readonly list: StackAllowList) {}

  forName(rawName: string): Advice {
    const name = rawName.toLowerCase().replace(/\.$/, "");
    if (isReverse(name)) return { kind: "reverse-lookup", text: "a reverse (PTR) lookup of an address: allow a reverse zone only if a workload needs it" };
    if (isAwsName(name)) {
      return { kind: "platform", text: "an AWS name: add it to the platform's list (lib/awsServices.ts, platformAwsDomains); config refuses AWS names" };
    }
    if (this.list.names && listCovers(this.list.names, name)) {
      return { kind: "deploy", text: `already in ${ALLOW_LIST_KEY} of ${this.list.file}: deploy it (pulumi up --stack ${this.list.stack})` };
    }
    const problem = allowedDomainProblem(name);
    if (problem) return { kind: "invalid", text: `cannot be listed: ${JSON.stringify(name)} ${problem}` };
    if (!this.list.names) {
      return { kind: "config", text: `add "${name}" to ${PROJECT}:${ALLOW_LIST_KEY} in ${this.list.file} (it sets none yet: copy the default list first)` };
    }
    let index = this.added.indexOf(name);
    if (index < 0) index = this.added.push(name) - 1;
    return { kind: "config", text: `pulumi config set --path '${ALLOW_LIST_KEY}[${this.list.names.length + index}]' ${name} --stack ${this.list.stack}` };
  }

  /** Advice for a request the egress proxy denied: by design, or the name's advice. */
  forRequest(method: string, target: string, error = ""): Advice {
    if (error === NON_PUBLIC_DESTINATION_PAGE) {
      return { kind: "by-design", text: "an allowed name that resolved to an address that is not public (NON_PUBLIC_DESTINATIONS): refused whatever the list says; check what the name resolves to" };
    }
    if (method !== "CONNECT") return { kind: "by-design", text: `plain HTTP (${method}): the egress proxy tunnels HTTPS only (CONNECT to ${EGRESS_PROXY_HTTPS_PORT})` };
    const { host, port } = splitTarget(target);
    if (isIpLiteral(host)) return { kind: "by-design", text: "an IP literal: the egress proxy allows names only" };
    if (port !== String(EGRESS_PROXY_HTTPS_PORT)) return { kind: "by-design", text: `port ${port || "(none)"}: the egress proxy allows ${EGRESS_PROXY_HTTPS_PORT} only` };
    return this.forName(host);
  }
}

/** "host:port", "[v6]:port". */
export function splitTarget(target: string): { host: string; port: string } {
  const v6 = /^\[([^\]]*)\](?::(\d+))?$/.exec(target);
  if (v6) return { host: `[${v6[1]}]`, port: v6[2] ?? "" };
  const i = target.lastIndexOf(":");
  return i < 0 ? { host: target, port: "" } : { host: target.slice(0, i), port: target.slice(i + 1) };
}

/** What squid.conf's ip_literal acl matches: dotted, decimal or hex IPv4, bracketed IPv6. */
export function isIpLiteral(host: string): boolean {
  return /^[0-9]+(\.[0-9]+){0,3}$/.test(host) || /^0x[0-9a-f.x]+$/i.test(host) || /^\[[0-9a-f:.]+\]$/i.test(host);
}
