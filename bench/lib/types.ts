/** Shared shapes of the bench harness: what a load run measures and what a scenario is. */

/** One measured window of one load run against one side. */
export interface LoadResult {
  /** Completed operations (2xx requests, or whole flows for the custom loops). */
  ops: number;
  /** Failed operations (non-2xx, network errors, wrong answers). */
  errors: number;
  /** Length of the measured window in seconds. */
  seconds: number;
  /** ops / seconds. */
  rate: number;
  p50Ms: number;
  p99Ms: number;
  /** First error seen, to say *why* a row has errors. */
  firstError?: string;
}

/** How long a run warms up and measures, and how much concurrency it uses. */
export interface Window {
  warmupMs: number;
  durationMs: number;
  /** autocannon connections / custom-loop chains. */
  concurrency: number;
  /** Offered load in requests per second, evenly spaced (paced.ts); none: as fast as the server answers. */
  rate?: number;
}

/** A running HTTP server the bench talks to (baseline or a Gatehouse variant). */
export interface Target {
  readonly name: string;
  /** http://127.0.0.1:PORT, also its issuer. */
  readonly url: string;
  /** The process to sample RSS of (its descendants are included: node:cluster workers). */
  readonly pid: number;
  /** Peak RSS (MB) of the process tree between two Date.now() times, from the sampler. */
  peakRssMb(fromMs: number, toMs: number): number | undefined;
  /** The same for its largest single process (a worker's share, when there are several). */
  peakProcessRssMb(fromMs: number, toMs: number): number | undefined;
  /** Every RSS sample so far (the soak reads growth from them). */
  samples(): readonly { at: number; kb: number; processes: number }[];
  stop(): Promise<void>;
}

/** One measurable thing in a scenario: a row of the table. */
export interface Side {
  /** The "target" column: baseline, gatehouse, argon2id alone, ... */
  label: string;
  /** Whose RSS the row shows; none for in-bench work (argon2id alone). */
  target?: Target;
  run(window: Window): Promise<LoadResult>;
  close?(): Promise<void>;
}

/** What a scenario's setup hands the runner: a reference, a subject, and informational extras. */
export interface Sides {
  reference: Side;
  subject: Side;
  extras?: Side[];
}

/** Gatehouse started with a particular seed / environment (see variants.ts). */
export type VariantName = 'default' | 'jwt' | 'workers-1' | 'workers-auto';

/** What the runner gives a scenario's setup. */
export interface BenchContext {
  baseline: Target;
  /** Starts (once) or returns a Gatehouse variant; throws StartError when it refuses to start. */
  gatehouse(variant: VariantName): Promise<Target>;
  window: Window;
}

export interface Scenario {
  name: string;
  /** One line: what one operation is. */
  what: string;
  /** Gatehouse variants this scenario uses, so the runner can stop them once no one needs them. */
  variants: VariantName[];
  /** subject.rate / reference.rate must be ≥ this; undefined = report only. */
  targetRatio: number | undefined;
  /**
   * Also measure Gatehouse's p99 at half of its peak rate (the token and introspection
   * scenarios: p99 under LATENCY_TARGET_MS there).
   */
  latencyAtHalfPeak?: boolean;
  /** How the target reads in the table, e.g. "≥ 0.9 × baseline". */
  targetText: string;
  /**
   * Whether the running Gatehouse can do this yet: undefined when it can, otherwise the
   * reason, listed as "not yet available in Gatehouse" (e.g. the JWT resource-server seed
   * was refused, or a token request with `resource` failed). A variant that does not
   * start (StartError) counts as not available too.
   */
  available?(ctx: BenchContext): Promise<string | undefined>;
  /** Prepares the sides (untimed): tokens, sessions, chains. */
  setup(ctx: BenchContext): Promise<Sides>;
}

/** One row of the report. */
export interface Row {
  label: string;
  rate: number;
  p50Ms: number;
  p99Ms: number;
  peakRssMb: number | undefined;
  /** Set when the side ran several processes: the peak of the largest one (a worker). */
  peakProcessRssMb?: number;
  errors: number;
  firstError?: string;
}

export interface ScenarioResult {
  name: string;
  what: string;
  targetText: string;
  targetRatio: number | undefined;
  /** Present when Gatehouse cannot do this scenario yet. */
  unavailable?: string;
  /** Present when the set-up broke for another reason (a bug in either server or the bench). */
  failed?: string;
  rows: Row[];
  /** Per-round subject/reference ratios and their median. */
  ratios: number[];
  ratio?: number;
  meets?: boolean;
  /** Gatehouse at half its median peak rate (Scenario.latencyAtHalfPeak). */
  halfPeak?: HalfPeak;
}

/** p99 latency at a steady offered load of half the peak. */
export interface HalfPeak {
  offeredRate: number;
  rate: number;
  p99Ms: number;
  errors: number;
  targetMs: number;
  meets: boolean;
}

/** The p99 a token or introspection request must stay under at half of peak throughput. */
export const LATENCY_TARGET_MS = 25;
