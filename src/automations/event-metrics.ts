// The count of recorded events, kept beside the code that records them; src/api/metrics.ts registers it on the
// /metrics registry (so recording an event never depends on the API).
import { Counter } from 'prom-client';

export const eventsCounter = new Counter({
  name: 'modelyard_events_total',
  help: 'Registry events recorded, by type',
  labelNames: ['type'] as const,
  registers: [],
});
