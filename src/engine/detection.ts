/**
 * Detection's background work: the live pipeline (rule engine, event storage,
 * the detection queue that opens and appends incidents) and the log files it
 * follows. Reports the `sources`, `ingest` and `detection` health parts.
 */
import { labelFolder } from '../domain/bounded-labels.ts';
import type { RuleSpec } from '../domain/rules/rule-spec.ts';
import { createPipeline, type Pipeline, type PipelineOptions } from '../detect/pipeline.ts';
import { clusterSourceConfig, createClusterPipeline } from '../cluster/cluster-wiring.ts';
import type { PartitionedPipeline } from '../cluster/partitioned-pipeline.ts';
import type { FileSource } from '../detect/file-source.ts';
import { createLogSource } from '../detect/log-source.ts';
import { handleDetections } from '../service/detections/handle-detections.ts';
import { createDetectionHealth } from '../detect/detection-health.ts';
import type { RespondDeps } from '../service/response/respond-deps.ts';
import type { Engine, StartOptions } from './engine.ts';
import { detectionHealth, ingestHealth, ingestNotReady } from '../detect/ingest/ingest-health.ts';

export interface DetectionEngine extends Engine {
  readonly pipeline: Pipeline;
  /** The partitioned pipeline in cluster mode (`redis_url` set, docs/cluster.md), else null. */
  readonly cluster: PartitionedPipeline | null;
  readonly sources: FileSource[];
}

/** Builds the pipeline and replays stored events into its windows (`rebuild`), so rules continue where they were. */
export async function createDetectionEngine(opts: { deps: RespondDeps; rules: readonly RuleSpec[] }): Promise<DetectionEngine> {
  const { deps, rules } = opts;
  const { db, logger, clock, config } = deps;
  const pipelineOptions: PipelineOptions = {
    db,
    logger,
    rules,
    clock,
    store: config.events.store,
    queueLimit: config.events.queue_limit,
    typeLabel: labelFolder([...rules.flatMap((r) => r.match.map((m) => m.type)), ...config.metrics.event_types], config.metrics.max_labels),
    retentionMs: config.events.retention,
    onDetections: (batch) => handleDetections(deps, batch),
  };
  // Cluster mode: detection partitioned on Redis Streams; otherwise the single-process pipeline.
  const cluster = createClusterPipeline(config, pipelineOptions);
  const pipeline: Pipeline = cluster ?? createPipeline(pipelineOptions);
  await pipeline.rebuild(clock());
  const keyCapHealth = createDetectionHealth(
    pipeline,
    rules.map((r) => r.name),
  );
  const sources = config.sources.map((cfg) => createLogSource({ cfg: clusterSourceConfig(config, cfg), db, pipeline, logger, clock }));

  return {
    name: 'detection',
    pipeline,
    cluster,
    sources,
    handlers: {},
    async start({ background = true }: StartOptions = {}) {
      if (!background) return;
      pipeline.start();
      for (const src of sources) await src.start();
    },
    async stop() {
      for (const src of sources) await src.stop();
      await pipeline.stop();
    },
    health: () => [
      {
        name: 'sources',
        async check() {
          const items = sources.map((src) => src.status());
          return { status: items.some((i) => i.status === 'error') ? 'degraded' : 'ok', items };
        },
      },
      { name: 'ingest', check: async () => ingestHealth(pipeline), notReady: () => ingestNotReady(pipeline) },
      {
        name: 'detection',
        // Key caps and storage (detection-health.ts), plus the handling of detections (ingest-health.ts).
        async check() {
          const base = await keyCapHealth();
          const handling = detectionHealth(pipeline);
          return { ...handling, ...base, status: base.status === 'ok' && handling.status === 'ok' ? 'ok' : 'degraded' };
        },
      },
    ],
  };
}
