export interface MicroBatcherOptions<T> {
  /**
   * How long the oldest waiting item holds its batch open for more. 0: only until the current
   * event-loop turn ends, so items added in the same turn (one RPC's events, or several RPCs read
   * from one socket) share a batch.
   */
  readonly lingerMs: number;
  /** Most items in one batch, or most summed `weight` when that is given. */
  readonly maxItems: number;
  /** How much of `maxItems` an item takes (e.g. the records it carries); at least one item goes per batch. @default 1 */
  readonly weight?: (item: T) => number;
  /** Most batches being sent at once; more wait and go the moment one completes. @default Infinity */
  readonly maxInFlight?: number;
}

interface Entry<T, R> {
  readonly item: T;
  readonly weight: number;
  readonly resolve: (result: R) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Collects items from many concurrent callers and hands them to `send` in batches. A batch is due
 * when it holds `maxItems` or its oldest item waited `lingerMs`; it goes as soon as fewer than
 * `maxInFlight` sends are running. While every slot is busy, items accumulate and leave together
 * when a send completes (natural batching: the slower the broker, the larger the batches, and no
 * item waits for a timer it does not need). Each caller's promise settles with its batch: with the
 * item's own entry of the results `send` returns (one per item, in order), or with undefined when
 * it returns none; `flush` sends what waits and waits for every send.
 */
export class MicroBatcher<T, R = void> {
  private pending: Array<Entry<T, R>> = [];
  private pendingWeight = 0;
  /** The oldest pending item has waited long enough (or a batch is full): send when a slot frees. */
  private due = false;
  private timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly maxInFlight: number;

  constructor(
    private readonly send: (items: T[]) => Promise<readonly R[] | void>,
    private readonly options: MicroBatcherOptions<T>,
  ) {
    this.maxInFlight = options.maxInFlight ?? Infinity;
  }

  add(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const weight = this.options.weight?.(item) ?? 1;
      this.pending.push({ item, weight, resolve, reject });
      this.pendingWeight += weight;
      if (this.pendingWeight >= this.options.maxItems) this.markDue();
      else if (!this.due && this.timer === undefined) this.startTimer();
    });
  }

  /** Items waiting for a batch (not those being sent). */
  get size(): number {
    return this.pending.length;
  }

  async flush(): Promise<void> {
    while (this.pending.length > 0 || this.inFlight.size > 0) {
      this.markDue();
      await Promise.allSettled([...this.inFlight]);
    }
  }

  private startTimer(): void {
    const fire = () => {
      this.timer = undefined;
      this.markDue();
    };
    this.timer = this.options.lingerMs > 0 ? setTimeout(fire, this.options.lingerMs) : setImmediate(fire);
  }

  private stopTimer(): void {
    if (this.timer === undefined) return;
    if (this.options.lingerMs > 0) clearTimeout(this.timer as NodeJS.Timeout);
    else clearImmediate(this.timer as NodeJS.Immediate);
    this.timer = undefined;
  }

  private markDue(): void {
    this.due = true;
    this.stopTimer();
    this.dispatch();
  }

  private dispatch(): void {
    while (this.due && this.pending.length > 0 && this.inFlight.size < this.maxInFlight) {
      const batch = this.takeBatch();
      const sending = this.send(batch.map((entry) => entry.item)).then(
        (results) => batch.forEach((entry, i) => entry.resolve(results?.[i] as R)),
        (error: unknown) => batch.forEach((entry) => entry.reject(error)),
      );
      this.inFlight.add(sending);
      void sending.finally(() => {
        this.inFlight.delete(sending);
        this.dispatch();
      });
    }
    if (this.pending.length === 0) this.due = false;
  }

  /** The oldest pending entries up to `maxItems` of weight (at least one). */
  private takeBatch(): Array<Entry<T, R>> {
    let count = 0;
    let weight = 0;
    while (count < this.pending.length && (count === 0 || weight + this.pending[count].weight <= this.options.maxItems)) {
      weight += this.pending[count].weight;
      count++;
    }
    const batch = count === this.pending.length ? this.pending : this.pending.slice(0, count);
    this.pending = batch === this.pending ? [] : this.pending.slice(count);
    this.pendingWeight -= weight;
    return batch;
  }
}
