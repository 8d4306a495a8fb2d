// Address parsing shared by configuration (MODELYARD_WEBHOOK_ALLOW) and the SSRF rules in core/urls.ts.
import ipaddr from 'ipaddr.js';

export type Cidr = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** Parses "127.0.0.0/8, 10.1.2.3, ::1/128"; a bare address means that single address. */
export function parseCidrList(text: string): Cidr[] {
  return text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) => {
      try {
        if (part.includes('/')) return ipaddr.parseCIDR(part);
        const address = ipaddr.parse(part);
        return [address, address.kind() === 'ipv4' ? 32 : 128] as Cidr;
      } catch {
        throw new Error(`"${part}" is not an IP network in CIDR notation (e.g. 10.0.0.0/8)`);
      }
    });
}

/** True when `address` (any textual form ipaddr.js accepts) lies in one of the networks. */
export function inCidrs(address: string, networks: Cidr[]): boolean {
  if (networks.length === 0) return false;
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.process(address); // folds IPv4-mapped IPv6 into IPv4
  } catch {
    return false;
  }
  return networks.some(([network, bits]) => parsed.kind() === network.kind() && parsed.match([network, bits] as never));
}

export type IpAddress = ipaddr.IPv4 | ipaddr.IPv6;

/**
 * The address a URL's hostname denotes, or null when the hostname is a name. Expects WHATWG `URL#hostname`, which
 * already rewrote every IPv4 notation (decimal `2130706433`, octal `0177.0.0.1`, hex `0x7f.1`, short `127.1`,
 * percent-encoded or full-width digits) to dotted decimal and keeps IPv6 literals in brackets.
 */
export function hostnameAddress(hostname: string): IpAddress | null {
  const bare = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  if (ipaddr.IPv4.isValidFourPartDecimal(bare)) return ipaddr.IPv4.parse(bare);
  if (bare.includes(':') && ipaddr.IPv6.isValid(bare)) return ipaddr.IPv6.parse(bare);
  return null;
}

/** The IPv4 address carried in the last 32 bits of an IPv6 address (mapped, translated, NAT64 forms). */
export function lowIPv4(address: ipaddr.IPv6): ipaddr.IPv4 {
  const p = address.parts;
  return new ipaddr.IPv4([p[6]! >> 8, p[6]! & 0xff, p[7]! >> 8, p[7]! & 0xff]);
}

/** The IPv4 address of a 6to4 address (2002:AABB:CCDD::/48 carries AA.BB.CC.DD). */
export function sixToFourIPv4(address: ipaddr.IPv6): ipaddr.IPv4 {
  const p = address.parts;
  return new ipaddr.IPv4([p[1]! >> 8, p[1]! & 0xff, p[2]! >> 8, p[2]! & 0xff]);
}
