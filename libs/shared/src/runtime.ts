/**
 * Memory of each app, in one place for every way it runs: Kubernetes gives the container
 * `limitMiB` and Node an old-space heap of `heapMiB` (through NODE_OPTIONS); the local stack starts
 * the processes with the same heap. Without the flag V8 sizes its heap from the machine's memory
 * and lets garbage pile up until it nears that, far past a pod's limit.
 */
export const APP_MEMORY = {
  gateway: { requestMiB: 128, limitMiB: 256, heapMiB: 128 },
  relay: { requestMiB: 128, limitMiB: 256, heapMiB: 128 },
  writer: { requestMiB: 192, limitMiB: 384, heapMiB: 192 },
  consumer: { requestMiB: 192, limitMiB: 384, heapMiB: 192 },
} as const satisfies Record<string, { requestMiB: number; limitMiB: number; heapMiB: number }>;

export type AppKind = keyof typeof APP_MEMORY;

/** Node flags of an app (what NODE_OPTIONS carries in Kubernetes). */
export function nodeHeapFlags(app: AppKind): string {
  return `--max-old-space-size=${APP_MEMORY[app].heapMiB}`;
}
