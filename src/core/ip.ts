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
