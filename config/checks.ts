// Value checks shared by config sections. Each returns the reason a value is wrong, or undefined.
import { isPrivateRange, parseCidr } from "../lib/cidr";

export function cidrProblem(value: string): string | undefined {
  const parsed = parseCidr(value);
  return typeof parsed === "string" ? parsed : undefined;
}

export function vpcCidrProblem(value: string): string | undefined {
  const parsed = parseCidr(value);
  if (typeof parsed === "string") return parsed;
  if (!isPrivateRange(parsed)) return "is not inside a private range (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16)";
  if (parsed.prefix < 16 || parsed.prefix > 18) return "must be a /16, /17 or /18";
  return undefined;
}

/** CloudWatch Logs accepts only these retention periods. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

const DOMAIN_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/**
 * A DNS Firewall domain specification: a name, or "*." and a name. Wildcards must name a
 * registrable domain (two labels at least) and never cover amazonaws.com: the program enumerates
 * the AWS names itself, and "*.amazonaws.com" would let a workspace reach any S3 bucket by name.
 */
export function allowedDomainProblem(value: string): string | undefined {
  if (value !== value.toLowerCase()) return "must be lower case";
  const wildcard = value.startsWith("*.");
  const base = wildcard ? value.slice(2) : value.replace(/\.$/, "");
  if (value.length > 255) return "is longer than 255 characters";
  const labels = base.split(".");
  if (labels.some((label) => !DOMAIN_LABEL.test(label))) {
    return 'is not a domain name (letters, digits and hyphens between dots; "*." only as a prefix)';
  }
  if (labels.length < 2) return wildcard ? "is a wildcard over a whole top-level domain" : "is not a fully qualified name";
  if (base === "amazonaws.com" || base.endsWith(".amazonaws.com")) {
    return "is an AWS service name: the program allows the AWS names the platform needs by itself";
  }
  return undefined;
}
