// A disabled webhook, wherever it appears: a short badge ("Disabled · 410 Gone"), the whole reason and the local
// time on hover; and long URLs cut to one line with the full value on hover.
import type { Webhook } from '../api/types';

const timeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** The reason's gist: an HTTP status where the reason names one, else "by an admin". */
function shortReason(reason: string): string {
  const status = /\b(4\d\d|5\d\d)\b(?:\s+([A-Z][A-Za-z ]{0,20}[a-z]))?/.exec(reason);
  if (status) return status[2] ? `${status[1]} ${status[2]}` : status[1]!;
  return reason ? 'by an admin' : '';
}

export function WebhookDisabledBadge({ webhook }: { webhook: Pick<Webhook, 'enabled' | 'disabled'> }) {
  if (webhook.enabled || !webhook.disabled) return null;
  const gist = shortReason(webhook.disabled.reason);
  const title = `Disabled ${timeFormat.format(new Date(webhook.disabled.at))}${webhook.disabled.reason ? `: ${webhook.disabled.reason}` : ''}`;
  return (
    <span className="badge fail" title={title} aria-label={title}>
      Disabled{gist && ` · ${gist}`}
    </span>
  );
}

export function TruncatedUrl({ url }: { url: string }) {
  return (
    <span className="truncate mono small" title={url}>
      {url}
    </span>
  );
}
