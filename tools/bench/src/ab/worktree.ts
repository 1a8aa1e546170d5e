import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { repoRoot } from '@oleada/local';

/** The apps a stack runs: what an A/B bench builds in the other ref's worktree. */
const STACK_PROJECTS = ['gateway-app', 'relay-app', 'writer-app', 'consumer-app'];
/** Written into a worktree once its build succeeded; its content is the commit. */
const READY = '.oleada-ab-ready';

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/** The full commit `ref` names in this repository, or undefined when it names none. */
export function resolveRef(ref: string): string | undefined {
  try {
    return git(repoRoot(), 'rev-parse', '--verify', '--quiet', `${ref}^{commit}`);
  } catch {
    return undefined;
  }
}

/**
 * A checkout of `commit` with its stack's apps built, in .cache/ab/<commit> (reused when an earlier
 * run built it). Its node_modules: a hard-linked copy of this tree's when both lockfiles are the
 * same (fast; npm's workspace links are relative, so they point into that checkout, and npm ci
 * replaces files rather than writing into them, so neither tree can change the other's), else its
 * own `npm ci`. Built with that ref's own Nx targets, with this process's Node and npm.
 */
export function prepareWorktree(commit: string, log: (message: string) => void): string {
  const root = repoRoot();
  const dir = join(root, '.cache', 'ab', commit);
  const ready = join(dir, READY);
  if (existsSync(ready) && readFileSync(ready, 'utf8').trim() === commit) {
    log(`B: reusing the built worktree ${dir}`);
    return dir;
  }
  const run = (command: string, args: string[]) => {
    log(`B: ${command} ${args.join(' ')}`);
    execFileSync(command, args, {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`, NX_DAEMON: 'false', NX_TUI: 'false' },
    });
  };
  if (!existsSync(join(dir, '.git'))) {
    log(`B: git worktree add ${dir} ${commit.slice(0, 12)}`);
    // --force: also when the path is still registered from a worktree whose folder was deleted.
    git(root, 'worktree', 'add', '--detach', '--force', dir, commit);
  }
  if (!existsSync(join(dir, 'node_modules'))) {
    const same = readFileSync(join(root, 'package-lock.json'), 'utf8') === readFileSync(join(dir, 'package-lock.json'), 'utf8');
    if (same && existsSync(join(root, 'node_modules'))) run('cp', ['-al', join(root, 'node_modules'), join(dir, 'node_modules')]);
    else run('npm', ['ci', '--no-audit', '--no-fund', '--prefer-offline']);
  }
  try {
    run('npx', ['nx', 'run-many', '-t', 'build', `--projects=${STACK_PROJECTS.join(',')}`, '--outputStyle=static']);
  } catch (error) {
    const output = String((error as { stdout?: Buffer }).stdout ?? '') + String((error as { stderr?: Buffer }).stderr ?? '');
    throw new Error(`the build of ${commit.slice(0, 12)} in ${dir} failed:\n${output.split('\n').slice(-30).join('\n')}`);
  }
  writeFileSync(ready, `${commit}\n`);
  return dir;
}
