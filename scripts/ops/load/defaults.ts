// The load drill's defaults, apart from the drill so the CLI shows them in --help without loading it:
// a fraction of ECS's account-wide limits (the benchmark uses them too).
export const LOAD_DEFAULTS = {
  batchSize: 10,
  concurrency: 4,
  rate: 10,
  burst: 20,
  describeRate: 5,
  pollInterval: 1,
  startTimeout: 300,
  holdPollInterval: 30,
  stopConcurrency: 8,
  volumeTimeout: 600,
} as const;
