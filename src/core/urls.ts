// Webhook target rules (SSRF). Two checks, because a name's addresses are only known when sending:
//   save time  checkWebhookUrl: scheme, no credentials, the host must be a name (no IP literal outside the allow
//              list, in any notation), not localhost;
//   send time  isForbiddenAddress: each resolved address must be public unicast, or inside the allow list
//              (MODELYARD_WEBHOOK_ALLOW); the HTTP client then connects to exactly that address.
//
// Plain `http` is accepted only towards allow-listed networks — an internal service an operator vouched for —
// since anything else would carry signatures and bearer tokens in clear over the internet. At save time that
// means: an http URL needs an allow-listed IP literal, or a name while an allow list is configured; at send time
// the client refuses http unless every resolved address is in the allow list (WebhookClient enforces it).
import ipaddr from 'ipaddr.js';
import { type Cidr, type IpAddress, hostnameAddress, inCidrs, lowIPv4, sixToFourIPv4 } from './ip.js';

export const MAX_WEBHOOK_URL_LENGTH = 2048;

/** Names that mean this machine whatever DNS says (RFC 6761 `localhost`, and Debian's /etc/hosts aliases). */
const LOCAL_NAMES = new Set(['localhost', 'localhost.localdomain', 'ip6-localhost', 'ip6-loopback']);

export type UrlCheck = { ok: true; url: URL } | { ok: false; reason: string };

export function checkWebhookUrl(url: string, allow: Cidr[]): UrlCheck {
  if (url.length > MAX_WEBHOOK_URL_LENGTH) return { ok: false, reason: `the URL is longer than ${MAX_WEBHOOK_URL_LENGTH} characters` };
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { ok: false, reason: 'not a valid absolute URL' };
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    return { ok: false, reason: `the scheme must be https or http, not ${parsed.protocol.slice(0, -1)}` };
  }
  if (parsed.username !== '' || parsed.password !== '') {
    return { ok: false, reason: 'credentials in the URL are not allowed; use an access token secret' };
  }
  if (parsed.hostname === '') return { ok: false, reason: 'the URL has no host' };
  const address = hostnameAddress(parsed.hostname);
  if (address !== null) {
    if (!inCidrs(address.toString(), allow)) {
      return { ok: false, reason: 'the host must be a name, not an IP address (unless the network is in MODELYARD_WEBHOOK_ALLOW)' };
    }
    return { ok: true, url: parsed };
  }
  const name = parsed.hostname.replace(/\.+$/, '');
  if (LOCAL_NAMES.has(name) || name.endsWith('.localhost')) return { ok: false, reason: 'localhost is not allowed' };
  if (parsed.protocol === 'http:' && allow.length === 0) {
    return { ok: false, reason: 'http is only allowed to networks in MODELYARD_WEBHOOK_ALLOW; use https' };
  }
  return { ok: true, url: parsed };
}

const IPV4_REASONS: Record<string, string> = {
  unspecified: "an unspecified or 'this network' address",
  broadcast: 'the broadcast address',
  multicast: 'a multicast address',
  linkLocal: 'a link-local address (169.254.0.0/16)',
  loopback: 'a loopback address',
  carrierGradeNat: 'a carrier-grade NAT address (100.64.0.0/10)',
  private: 'a private network address',
  reserved: 'a reserved, documentation or benchmarking address',
  as112: 'a special-purpose anycast address',
  amt: 'a special-purpose anycast address',
};

const IPV6_REASONS: Record<string, string> = {
  unspecified: 'the unspecified address (::)',
  linkLocal: 'a link-local address (fe80::/10)',
  multicast: 'a multicast address',
  loopback: 'a loopback address',
  uniqueLocal: 'a unique local address (fc00::/7)',
  deprecatedSiteLocal: 'a site-local address (fec0::/10)',
  discard: 'a discard-only address (100::/64)',
  teredo: 'a Teredo tunnel address (2001::/32)',
  reserved: 'a reserved or documentation address',
  benchmarking: 'a benchmarking address',
  segmentRouting: 'a segment routing address',
};

// Cloud metadata services answer on these addresses (AWS/GCP/Azure/OpenStack, AWS over IPv6, Alibaba, Azure's
// wire server); most already fall in a forbidden range, but the public-looking ones would not.
const METADATA_ADDRESSES = new Set(['169.254.169.254', '169.254.170.2', 'fd00:ec2::254', '100.100.100.200', '168.63.129.16']);

// Global unicast IPv6 is 2000::/3; whatever lies outside it and is not named above is unassigned or special.
const IPV6_GLOBAL_UNICAST: Cidr = [ipaddr.IPv6.parse('2000::'), 3];
const NAT64_WELL_KNOWN: Cidr = [ipaddr.IPv6.parse('64:ff9b::'), 96];
const NAT64_LOCAL_USE: Cidr = [ipaddr.IPv6.parse('64:ff9b:1::'), 48];

function ipv4Reason(address: ipaddr.IPv4): string | null {
  if (METADATA_ADDRESSES.has(address.toString())) return 'a cloud metadata address';
  const range = address.range();
  if (range === 'unicast') return null;
  return IPV4_REASONS[range] ?? `a special-purpose address (${range})`;
}

function ipv6Reason(address: ipaddr.IPv6, allow: Cidr[]): string | null {
  if (METADATA_ADDRESSES.has(address.toString())) return 'a cloud metadata address';
  const range = address.range();
  // Forms that carry an IPv4 address are judged by it: a mapped or translated address is that IPv4 host; a NAT64
  // or 6to4 address reaches it through a gateway, so a forbidden IPv4 inside is forbidden too.
  if (range === 'ipv4Mapped' || range === 'rfc6145') {
    const inner = lowIPv4(address);
    if (inCidrs(inner.toString(), allow)) return null;
    const reason = ipv4Reason(inner);
    return reason && `an IPv4-mapped form of ${reason}`;
  }
  if (address.match(NAT64_LOCAL_USE)) return 'a local-use NAT64 address (64:ff9b:1::/48)';
  if (address.match(NAT64_WELL_KNOWN)) {
    const reason = ipv4Reason(lowIPv4(address));
    return reason && `a NAT64 form of ${reason}`;
  }
  if (range === '6to4') {
    const reason = ipv4Reason(sixToFourIPv4(address));
    return reason && `a 6to4 form of ${reason}`;
  }
  if (range !== 'unicast') return IPV6_REASONS[range] ?? `a special-purpose address (${range})`;
  if (!address.match(IPV6_GLOBAL_UNICAST)) return 'an unassigned or reserved IPv6 address';
  return null;
}

/**
 * Why a webhook may not connect to `address` (a resolved address), or null when it may. Addresses inside `allow`
 * always pass. The reason names the kind of address only, never the address, so answers do not map internal DNS.
 */
export function isForbiddenAddress(address: string, allow: Cidr[]): string | null {
  let parsed: IpAddress;
  try {
    parsed = ipaddr.parse(address);
  } catch {
    return 'not an IP address';
  }
  if (inCidrs(address, allow)) return null;
  const reason = parsed.kind() === 'ipv4' ? ipv4Reason(parsed as ipaddr.IPv4) : ipv6Reason(parsed as ipaddr.IPv6, allow);
  return reason && `the target resolves to ${reason}`;
}
