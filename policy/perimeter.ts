// The data perimeter on the VPC endpoints (lib/dataPerimeter.ts): every interface endpoint and gateway
// endpoint carries a policy, no Allow in it serves another account's principals (or this account's
// principals on another account's resources), and every endpoint trusts the same one account.
import type { ReportViolation, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import { perimeterGaps } from "../lib/dataPerimeter";

const ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint";

export const vpcEndpointsDataPerimeter: StackValidationPolicy = {
  name: "vpc-endpoints-data-perimeter",
  description: "Every VPC endpoint has a policy that serves only this account's principals on this account's resources (aws:PrincipalAccount, aws:ResourceAccount), AWS service principals, and AWS-owned resources named one by one (read-only for any principal); one account across all endpoints.",
  enforcementLevel: "mandatory",
  validateStack: (args: StackValidationArgs, report: ReportViolation) => {
    const endpoints = args.resources.filter((r) => r.type === ENDPOINT);
    if (endpoints.length === 0) args.notApplicable("the stack has no VPC endpoint");
    const trusted = new Map<string, string[]>();
    for (const ep of endpoints) {
      // Read outside the try: an unknown value during preview must reach the engine (the policy then runs at update).
      const policy = ep.props.policy;
      let document: unknown;
      try {
        document = typeof policy === "string" ? JSON.parse(policy) : policy;
      } catch (err) {
        report(`${ep.name}: the endpoint policy is not JSON: ${(err as Error).message}`, ep.urn);
        continue;
      }
      const { gaps, accounts } = perimeterGaps(document as never);
      for (const gap of gaps) report(`${ep.name} (${ep.props.serviceName}): ${gap}.`, ep.urn);
      for (const a of accounts) trusted.set(a, [...(trusted.get(a) ?? []), ep.name]);
    }
    if (trusted.size > 1) {
      report(`The endpoints trust different accounts: ${[...trusted].map(([a, eps]) => `${a} (${eps.join(", ")})`).join("; ")}; the perimeter is one account.`);
    }
  },
};
