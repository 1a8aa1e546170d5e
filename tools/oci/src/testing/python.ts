import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SETUP_SCRIPT } from './registry-server';

/**
 * The interpreter the Python side of the tests uses: `OLEADA_PYTHON`, else the project venv the
 * setup scripts create (`.cache/venv`), else `python3`. It must import `requests`.
 */
export function findPython(repoRoot: string): string {
  const venv = join(repoRoot, '.cache', 'venv', 'bin', 'python');
  const python = process.env.OLEADA_PYTHON || (existsSync(venv) ? venv : 'python3');
  const probe = spawnSync(python, ['-c', 'import requests'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      `${python} cannot import requests (${probe.error?.message ?? probe.stderr.trim()}): run bash ${SETUP_SCRIPT}`,
    );
  }
  return python;
}
