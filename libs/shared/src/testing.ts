import { createServer, type AddressInfo } from 'node:net';

/**
 * For specs: waits until `condition` holds (polled every `intervalMs`), failing with `what` after
 * `timeoutMs`. A condition that can only become true by waiting (a record committed, a pod ready),
 * never a timer standing in for it.
 */
export async function until(condition: () => boolean | Promise<boolean>, what: string, { timeoutMs = 120_000, intervalMs = 50 } = {}): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** For specs: a loopback port nothing listens on right now (a server that binds the port it is given, like the gRPC transport). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
