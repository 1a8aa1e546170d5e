import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { repoRoot } from '@oleada/local';

/**
 * `node tools/dashboard/dist/cli.js …` as a child process, the way `npm run dashboard` runs it.
 * The test run's VALKEY_USERNAME/VALKEY_PASSWORD (its admin user) are removed from the environment,
 * so the CLI finds its user as it does on a developer's machine; `env` is added after that.
 */
export class DashboardCli {
  stdout = '';
  stderr = '';
  /** The exit code (null: ended by a signal). */
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcessByStdio<null, Readable, Readable>;

  constructor(args: readonly string[], env: Readonly<Record<string, string>> = {}) {
    const inherited = { ...process.env };
    delete inherited.VALKEY_USERNAME;
    delete inherited.VALKEY_PASSWORD;
    this.child = spawn(process.execPath, [join(repoRoot(), 'tools', 'dashboard', 'dist', 'cli.js'), ...args], {
      cwd: repoRoot(),
      env: { ...inherited, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout.setEncoding('utf8').on('data', (chunk: string) => (this.stdout += chunk));
    this.child.stderr.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.exited = new Promise((resolve) => this.child.once('close', (code) => resolve(code)));
  }

  /** The server's address once `serve` prints its first page; rejects with its stderr when the CLI ends first. */
  servedUrl(): Promise<string> {
    return new Promise((resolve, reject) => {
      const look = () => {
        const match = /^\[dashboard\] (http:\/\/[^\s/]+)\/d\//m.exec(this.stdout);
        if (!match) return;
        this.child.stdout.off('data', look);
        resolve(match[1]);
      };
      this.child.stdout.on('data', look);
      look();
      void this.exited.then((code) => reject(new Error(`the dashboard CLI exited ${code} before serving: ${this.stderr.trim() || this.stdout.trim()}`)));
    });
  }

  /** SIGTERM (as Ctrl-C would), then its exit code. */
  async stop(): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    return this.exited;
  }
}
