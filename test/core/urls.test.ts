import { describe, expect, it } from 'vitest';
import { parseCidrList } from '../../src/core/ip.js';
import { checkWebhookUrl, isForbiddenAddress } from '../../src/core/urls.js';

const loopbackAllowed = parseCidrList('127.0.0.0/8');

describe('checkWebhookUrl', () => {
  const accepted: string[] = [
    'https://hooks.slack.com/services/T000/B000/XXXX',
    'https://api.github.com/repos/acme/models/dispatches',
    'https://example.com:8443/path?query=1',
    'https://xn--bcher-kva.example/',
    'https://127.0.0.1.nip.io/hook', // a name: its address is judged when sending
  ];
  it.each(accepted)('accepts %s', (url) => {
    const result = checkWebhookUrl(url, []);
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.url.href).toBe(new URL(url).href);
  });

  const refused: Array<[string, RegExp]> = [
    ['ftp://example.com/', /scheme/],
    ['file:///etc/passwd', /scheme/],
    ['javascript:alert(1)', /scheme/],
    ['not a url', /valid absolute URL/],
    ['https://user:pass@example.com/', /credentials/],
    ['https://token@example.com/', /credentials/],
    ['http://example.com/hook', /http is only allowed/],
    ['https://127.0.0.1/', /not an IP address/],
    ['https://2130706433/', /not an IP address/],
    ['https://0177.0.0.1/', /not an IP address/],
    ['https://0x7f.1/', /not an IP address/],
    ['https://127.1/', /not an IP address/],
    ['https://8.8.8.8/', /not an IP address/],
    ['https://[::1]/', /not an IP address/],
    ['https://[2606:4700::1111]/', /not an IP address/],
    ['https://[::ffff:127.0.0.1]/', /not an IP address/],
    ['https://localhost/', /localhost/],
    ['https://LOCALHOST./', /localhost/],
    ['https://api.localhost/', /localhost/],
    ['https://ip6-localhost/', /localhost/],
    [`https://example.com/${'a'.repeat(2100)}`, /longer than/],
  ];
  it.each(refused)('refuses %s', (url, reason) => {
    const result = checkWebhookUrl(url, []);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
  });

  it('accepts IP literals, and http, inside allow-listed networks only', () => {
    expect(checkWebhookUrl('http://127.0.0.1:8080/hook', loopbackAllowed).ok).toBe(true);
    expect(checkWebhookUrl('http://127.1:8080/hook', loopbackAllowed).ok).toBe(true);
    expect(checkWebhookUrl('http://[::ffff:127.0.0.1]:8080/', loopbackAllowed).ok).toBe(true);
    expect(checkWebhookUrl('http://10.0.0.1/hook', loopbackAllowed).ok).toBe(false);
    expect(checkWebhookUrl('http://[::1]/hook', loopbackAllowed).ok).toBe(false);
    expect(checkWebhookUrl('http://[::1]/hook', parseCidrList('::1/128')).ok).toBe(true);
    // With an allow list, http to a name is accepted here and enforced on the resolved address when sending.
    expect(checkWebhookUrl('http://ci.internal/hook', loopbackAllowed).ok).toBe(true);
    expect(checkWebhookUrl('http://localhost/hook', loopbackAllowed).ok).toBe(false);
  });
});

describe('isForbiddenAddress', () => {
  const forbidden: Array<[string, RegExp]> = [
    ['127.0.0.1', /loopback/],
    ['127.255.255.254', /loopback/],
    ['10.1.2.3', /private/],
    ['172.16.0.1', /private/],
    ['172.31.255.255', /private/],
    ['192.168.1.1', /private/],
    ['169.254.169.254', /cloud metadata/],
    ['169.254.170.2', /cloud metadata/],
    ['169.254.1.1', /link-local/],
    ['100.100.100.200', /cloud metadata/],
    ['168.63.129.16', /cloud metadata/],
    ['100.64.0.1', /carrier-grade NAT/],
    ['0.0.0.0', /unspecified/],
    ['0.1.2.3', /unspecified/],
    ['255.255.255.255', /broadcast/],
    ['224.0.0.1', /multicast/],
    ['239.255.255.250', /multicast/],
    ['240.0.0.1', /reserved/],
    ['192.0.2.10', /reserved/],
    ['198.51.100.1', /reserved/],
    ['203.0.113.5', /reserved/],
    ['198.18.0.1', /reserved/],
    ['198.19.255.255', /reserved/],
    ['192.0.0.8', /reserved/],
    ['::1', /loopback/],
    ['::', /unspecified/],
    ['fe80::1', /link-local/],
    ['fe80::1%eth0', /link-local/],
    ['fc00::1', /unique local/],
    ['fd12:3456::1', /unique local/],
    ['fd00:ec2::254', /cloud metadata/],
    ['fec0::1', /site-local/],
    ['ff02::1', /multicast/],
    ['::ffff:127.0.0.1', /IPv4-mapped form of a loopback/],
    ['::ffff:7f00:1', /IPv4-mapped form of a loopback/],
    ['::ffff:169.254.169.254', /IPv4-mapped form of a cloud metadata/],
    ['::ffff:0:10.0.0.1', /IPv4-mapped form of a private/],
    ['64:ff9b::127.0.0.1', /NAT64 form of a loopback/],
    ['64:ff9b::a9fe:a9fe', /NAT64 form of a cloud metadata/],
    ['64:ff9b:1::1', /local-use NAT64/],
    ['2002:7f00:1::', /6to4 form of a loopback/],
    ['2002:c0a8:101::1', /6to4 form of a private/],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', /Teredo/],
    ['2001:db8::1', /reserved or documentation/],
    ['3fff::1', /reserved or documentation/],
    ['100::1', /discard/],
    ['::127.0.0.1', /loopback/],
    ['4000::1', /unassigned or reserved/],
    ['not-an-address', /not an IP address/],
  ];
  it.each(forbidden)('forbids %s', (address, reason) => {
    expect(isForbiddenAddress(address, [])).toMatch(reason);
  });

  const allowed = ['8.8.8.8', '1.1.1.1', '140.82.112.3', '2606:4700:4700::1111', '2a00:1450:4001::200e', '::ffff:8.8.8.8', '64:ff9b::808:808', '2002:808:808::1'];
  it.each(allowed)('allows the public address %s', (address) => {
    expect(isForbiddenAddress(address, [])).toBeNull();
  });

  it('lets addresses of allow-listed networks through, including their mapped forms', () => {
    expect(isForbiddenAddress('127.0.0.1', loopbackAllowed)).toBeNull();
    expect(isForbiddenAddress('::ffff:127.0.0.1', loopbackAllowed)).toBeNull();
    expect(isForbiddenAddress('10.0.0.1', loopbackAllowed)).toMatch(/private/);
    expect(isForbiddenAddress('fd00::5', parseCidrList('fd00::/8'))).toBeNull();
  });

  it('never names the address in its reason, only its range', () => {
    const rangeNames = ['0.0.0.0', '::'];
    for (const [address] of forbidden.filter(([a]) => !rangeNames.includes(a))) expect(isForbiddenAddress(address, []) ?? '').not.toContain(address);
  });
});
