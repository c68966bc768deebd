// IPv4 CIDR arithmetic for config validation and subnet layout. Plain numbers, no dependency:
// the program only needs parse, contains, overlap and "the n-th address".

export interface Cidr {
  readonly text: string;
  readonly network: number; // first address as an unsigned 32-bit integer
  readonly prefix: number;
}

const CIDR_PATTERN = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/** Parses "a.b.c.d/n"; returns a reason string when the text is not a canonical IPv4 CIDR. */
export function parseCidr(text: string): Cidr | string {
  const match = CIDR_PATTERN.exec(text.trim());
  if (!match) return "is not an IPv4 CIDR of the form a.b.c.d/n";
  const octets = match.slice(1, 5).map(Number);
  if (octets.some((o) => o > 255)) return "has an octet above 255";
  const prefix = Number(match[5]);
  if (prefix > 32) return "has a prefix length above 32";
  const address = ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0;
  const network = (address & prefixMask(prefix)) >>> 0;
  if (network !== address) {
    return `has host bits set (the network address is ${formatIp(network)}/${prefix})`;
  }
  return { text: `${formatIp(network)}/${prefix}`, network, prefix };
}

export function mustParseCidr(text: string): Cidr {
  const parsed = parseCidr(text);
  if (typeof parsed === "string") throw new Error(`CIDR ${JSON.stringify(text)} ${parsed}`);
  return parsed;
}

function prefixMask(prefix: number): number {
  return prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
}

function size(cidr: Cidr): number {
  return 2 ** (32 - cidr.prefix);
}

function lastAddress(cidr: Cidr): number {
  return cidr.network + size(cidr) - 1;
}

export function contains(outer: Cidr, inner: Cidr): boolean {
  return inner.prefix >= outer.prefix && inner.network >= outer.network && lastAddress(inner) <= lastAddress(outer);
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.network <= lastAddress(b) && b.network <= lastAddress(a);
}

function formatIp(address: number): string {
  return [24, 16, 8, 0].map((shift) => (address >>> shift) & 255).join(".");
}

/** The address `offset` places after the network address (VPC resolver = offset 2). */
export function nthAddress(cidr: Cidr, offset: number): string {
  if (offset < 0 || offset >= size(cidr)) throw new Error(`offset ${offset} is outside ${cidr.text}`);
  return formatIp(cidr.network + offset);
}

/** The `index`-th block of prefix `newPrefix` inside `cidr`. */
export function subnetAt(cidr: Cidr, newPrefix: number, index: number): Cidr {
  if (newPrefix < cidr.prefix || newPrefix > 32) throw new Error(`/${newPrefix} does not fit in ${cidr.text}`);
  const count = 2 ** (newPrefix - cidr.prefix);
  if (index < 0 || index >= count) throw new Error(`${cidr.text} holds only ${count} blocks of /${newPrefix}`);
  const network = cidr.network + index * 2 ** (32 - newPrefix);
  return { text: `${formatIp(network)}/${newPrefix}`, network, prefix: newPrefix };
}

const PRIVATE_RANGES = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"].map(mustParseCidr);

/** RFC 1918 ranges: a VPC must live inside one of them. */
export function isPrivateRange(cidr: Cidr): boolean {
  return PRIVATE_RANGES.some((range) => contains(range, cidr));
}
