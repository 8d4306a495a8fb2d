// Prometheus metrics at GET /metrics: request counts and latencies by route, recorded events by type, plus process
// defaults. Readable with MODELYARD_METRICS_TOKEN or an instance admin's API key (authorizeMetrics).
//
// The application's metrics and the process's are kept apart: when the delivery worker runs in a thread of the same
// process (src/worker-thread.ts), that thread counts in its own copy of the application's metrics, and /metrics adds
// the copies up (prom-client's AggregatorRegistry, made for cluster workers) — while the process's CPU, memory and
// event loop are reported once, not once per thread.
import type { FastifyInstance } from 'fastify';
import { AggregatorRegistry, Histogram, Registry, collectDefaultMetrics, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import type { AppContext } from '../context.js';
import { authorizeMetrics, METRICS_ROUTE } from './auth.js';
import { eventsCounter } from '../automations/event-metrics.js';

export type MetricsSnapshot = Array<MetricObjectWithValues<MetricValue<string>>>;

const processRegistry = new Registry();
collectDefaultMetrics({ register: processRegistry, prefix: 'modelyard_' });

/** This thread's application metrics. */
export const appRegistry = new Registry();

const requestDuration = new Histogram({
  name: 'modelyard_http_request_duration_seconds',
  help: 'HTTP request latency by route and status',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
  registers: [appRegistry],
});

appRegistry.registerMetric(eventsCounter);

/** Other threads' application metrics, added to this thread's on every scrape. */
const otherThreads = new Set<() => Promise<MetricsSnapshot>>();

export function addMetricsSource(source: () => Promise<MetricsSnapshot>): () => void {
  otherThreads.add(source);
  return () => otherThreads.delete(source);
}

export async function appMetricsSnapshot(): Promise<MetricsSnapshot> {
  return (await appRegistry.getMetricsAsJSON()) as MetricsSnapshot;
}

async function scrape(): Promise<string> {
  const snapshots = await Promise.all([appMetricsSnapshot(), ...[...otherThreads].map((source) => source().catch(() => []))]);
  if (snapshots.length === 1) return Registry.merge([processRegistry, appRegistry]).metrics();
  return Registry.merge([processRegistry, AggregatorRegistry.aggregate(snapshots) as Registry]).metrics();
}

export function registerMetrics(app: FastifyInstance, ctx: AppContext): void {
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    requestDuration.observe(
      { method: request.method, route, status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });
  app.get(METRICS_ROUTE, { schema: { hide: true } }, async (request, reply) => {
    await authorizeMetrics(ctx, request, reply);
    void reply.type(processRegistry.contentType);
    return scrape();
  });
}
