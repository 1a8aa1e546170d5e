/**
 * Readiness of one process: ready only while every named dependency is up and the process is
 * not draining.
 */
export class Health {
  private readonly checks = new Map<string, boolean>();
  private draining = false;

  /** Declares a dependency; it starts as down. */
  register(name: string): void {
    if (!this.checks.has(name)) this.checks.set(name, false);
  }

  set(name: string, up: boolean): void {
    this.checks.set(name, up);
  }

  startDraining(): void {
    this.draining = true;
  }

  get isDraining(): boolean {
    return this.draining;
  }

  get ready(): boolean {
    if (this.draining) return false;
    for (const up of this.checks.values()) if (!up) return false;
    return true;
  }

  report(): { status: 'ready' | 'not-ready'; draining: boolean; checks: Record<string, 'up' | 'down'> } {
    const checks: Record<string, 'up' | 'down'> = {};
    for (const [name, up] of this.checks) checks[name] = up ? 'up' : 'down';
    return { status: this.ready ? 'ready' : 'not-ready', draining: this.draining, checks };
  }
}
