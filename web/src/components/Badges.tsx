// Status badges: a run's or job's state, and whether an automation is enabled.

const STATE_LABELS: Record<string, { label: string; tone: string }> = {
  pending: { label: 'Pending', tone: 'pending' },
  succeeded: { label: 'Succeeded', tone: 'ok' },
  failed: { label: 'Failed', tone: 'fail' },
  skipped: { label: 'Skipped', tone: '' },
  superseded: { label: 'Superseded', tone: '' },
  queued: { label: 'Queued', tone: 'pending' },
  claimed: { label: 'Claimed', tone: 'pending' },
  running: { label: 'Running', tone: 'pending' },
  cancelled: { label: 'Cancelled', tone: '' },
};

export function StateBadge({ state }: { state: string }) {
  const known = STATE_LABELS[state];
  return <span className={`badge ${known?.tone ?? ''}`}>{known?.label ?? state}</span>;
}

export function EnabledBadge({ enabled }: { enabled: boolean }) {
  return enabled ? <span className="badge ok">Enabled</span> : <span className="badge">Disabled</span>;
}
