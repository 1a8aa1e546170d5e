/** Polls `condition` every `intervalMs` until it holds; rejects after `timeoutMs` naming `what`. */
export async function waitFor(condition: () => Promise<boolean> | boolean, timeoutMs: number, what: string, intervalMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
