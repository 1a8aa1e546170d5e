import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

/** A helper server of the benchmark (bare HTTP, hop servers) running as its own Node process. */
export class ChildServer {
  private constructor(
    private readonly child: ChildProcess,
    readonly pid: number,
  ) {}

  /** Starts `dist/servers/<script>.js` with `args` and resolves once it printed "listening". */
  static async start(script: string, args: readonly string[], timeoutMs = 20_000): Promise<ChildServer> {
    const child = spawn(process.execPath, [join(__dirname, `${script}.js`), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${script} did not start within ${timeoutMs} ms: ${output}`)), timeoutMs);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('listening')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${script} exited with ${code}: ${output}`));
      });
    });
    child.removeAllListeners('exit');
    return new ChildServer(child, child.pid as number);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}
