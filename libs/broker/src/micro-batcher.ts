/**
 * Collects items from many concurrent callers and hands them to `send` in batches: a batch goes
 * out when it holds `maxItems`, or `lingerMs` after its first item arrived. Each caller's promise
 * settles with its batch. Sends may overlap; `flush` waits for all of them.
 */
export class MicroBatcher<T> {
  private pending: Array<{ item: T; resolve: () => void; reject: (error: unknown) => void }> = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly send: (items: T[]) => Promise<void>,
    private readonly options: { readonly lingerMs: number; readonly maxItems: number },
  ) {}

  add(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (this.pending.length >= this.options.maxItems) this.dispatch();
      else if (this.timer === undefined) this.timer = setTimeout(() => this.dispatch(), this.options.lingerMs);
    });
  }

  get size(): number {
    return this.pending.length;
  }

  async flush(): Promise<void> {
    this.dispatch();
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private dispatch(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    const sending = this.send(batch.map((entry) => entry.item)).then(
      () => batch.forEach((entry) => entry.resolve()),
      (error: unknown) => batch.forEach((entry) => entry.reject(error)),
    );
    this.inFlight.add(sending);
    void sending.finally(() => this.inFlight.delete(sending));
  }
}
