/**
 * Memory of each app, in one place for every way it runs: Kubernetes gives the container
 * `limitMiB` and Node an old-space heap of `heapMiB` (through NODE_OPTIONS); the local stack starts
 * the processes with the same heap. Without the flag V8 sizes its heap from the machine's memory
 * and lets garbage pile up until it nears that, far past a pod's limit.
 *
 * `semiSpaceMiB` sizes V8's young generation. Node 24's V8 derives it from the old-space flag, and
 * at 128 MiB that leaves a young generation so small that it is scavenged many times per request
 * burst: measured with tools/bench gateway-cpu (gateway alone, Node 24.19, 1,500/s offered), 1.36-1.50
 * CPU-ms per request with `--max-old-space-size=128` alone, 0.28 with `--max-semi-space-size=16`
 * beside it, 0.26-0.28 with no flag; at saturation 1.1-1.4 against 0.20 (Node 20 showed no such
 * cliff). A semi-space of 16 MiB adds at most 32 MiB of young generation to the heap; 8 MiB did not
 * lower the largest app's RSS peak at saturation (A/B, docs/performance/log.md), so 16 stays.
 */
export const APP_MEMORY = {
  gateway: { requestMiB: 128, limitMiB: 256, heapMiB: 128, semiSpaceMiB: 16 },
  relay: { requestMiB: 128, limitMiB: 256, heapMiB: 128, semiSpaceMiB: 16 },
  writer: { requestMiB: 192, limitMiB: 384, heapMiB: 192, semiSpaceMiB: 16 },
  consumer: { requestMiB: 192, limitMiB: 384, heapMiB: 192, semiSpaceMiB: 16 },
} as const satisfies Record<string, { requestMiB: number; limitMiB: number; heapMiB: number; semiSpaceMiB: number }>;

export type AppKind = keyof typeof APP_MEMORY;

/** Node flags of an app (what NODE_OPTIONS carries in Kubernetes). */
export function nodeHeapFlags(app: AppKind): string {
  return `--max-old-space-size=${APP_MEMORY[app].heapMiB} --max-semi-space-size=${APP_MEMORY[app].semiSpaceMiB}`;
}
