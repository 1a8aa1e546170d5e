import type { AbResult } from '../ab/run';
import type { HopRow } from '../compare/hops';
import type { ValkeyReplicaRow } from '../compare/valkey-replicas';
import type { LoadResult } from '../load/result';
import type { ProfileSummary } from '../measure/cpu-profile';
import type { ProcessUsage } from '../measure/processes';
import type { MachineInfo } from '../machine';
import type { StackRunResult } from '../stack-run';
import type { TimeSplitResult } from '../trace/section';
import type { Baseline, RegressionRow } from './baseline';

export interface BareResult {
  readonly connections: number;
  readonly load: LoadResult;
  readonly requestsPerSecond: number;
  readonly processes: readonly ProcessUsage[];
}

export interface AppProfile {
  readonly app: string;
  readonly summary: ProfileSummary;
  /** The app's flame graph (an SVG beside the report), when one was drawn. */
  readonly flameGraph?: string;
  /** Frames with the most time in and below them (inclusive), widest first. */
  readonly widest?: ReadonlyArray<{ readonly name: string; readonly share: number }>;
}

export interface TargetCheck {
  readonly target: string;
  readonly measured: string;
  /** undefined: not measured in this run. */
  readonly met: boolean | undefined;
}

/** Everything one `npm run bench` measured; written as results.json beside the report. */
export interface BenchReport {
  readonly generatedAt: string;
  readonly command: string;
  /** `git rev-parse --short HEAD` of the measured tree, marked when it had uncommitted changes. */
  readonly commit?: string;
  readonly quick: boolean;
  readonly minutes: number;
  readonly scenario: string;
  readonly machine: MachineInfo;
  readonly loadAverage: { readonly before: readonly number[]; readonly after: readonly number[] };
  readonly settings: {
    readonly rates: readonly number[];
    readonly stepSeconds: number;
    readonly saturationConnections: number;
    readonly sustainedSeconds: number;
    /** Offered rate of the sustained open-loop run (the sustained target's rate). */
    readonly sustainedRate?: number;
    readonly comparisonSeconds: number;
    /** Extra node flags every app ran with ('' for none). */
    readonly nodeArgs?: string;
  };
  readonly bare?: BareResult;
  readonly sweep: readonly StackRunResult[];
  /** Closed loop at `saturationConnections` for `sustainedSeconds`: the stack's throughput at that concurrency. */
  readonly sustained?: StackRunResult;
  /** Open loop at `sustainedRate` for `sustainedSeconds`: whether the stack keeps up with that rate (the sustained target). */
  readonly sustainedOffered?: StackRunResult;
  readonly valkey: readonly ValkeyReplicaRow[];
  readonly hops: readonly HopRow[];
  readonly writers: readonly StackRunResult[];
  readonly brokers: readonly StackRunResult[];
  /** Why the broker comparison has no rows, when it has none. */
  readonly brokersPending?: string;
  /** EventBatchService calls straight to the writers (the `direct` section): writers, broker and consumer alone. */
  readonly direct?: readonly StackRunResult[];
  readonly profile: readonly AppProfile[];
  /** CPU and RSS during the profiled run (the profiler's own overhead included). */
  readonly profileRun?: StackRunResult;
  /** "Where an event's time goes": traced runs at 250/s and at saturation, cut into hops from their sampled traces. */
  readonly traces?: TimeSplitResult;
  /** `--ab`: this tree's stack (A) against another ref's or a planted cost (B), round by round. */
  readonly ab?: AbResult;
  readonly targets: readonly TargetCheck[];
  /** The results.json this run is compared with (the previous one in the output folder, or --baseline). */
  readonly baseline?: Baseline;
  /** Figures both runs measured, side by side. */
  readonly regression?: readonly RegressionRow[];
  /** Sections that failed, with the error, so a partial report says what is missing. */
  readonly failures: ReadonlyArray<{ readonly section: string; readonly error: string }>;
}
