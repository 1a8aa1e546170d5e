import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { SYNTH_ENV } from './config';

const ROOT = resolve(__dirname, '..', '..');

/** `command` from the repository root with `env` set (and no synth variable of the caller's), writing into a temporary directory. */
function run(command: string[], env: Record<string, string>, outdir = mkdtempSync(join(tmpdir(), 'synth-'))) {
  const base = { ...process.env };
  for (const name of Object.keys(SYNTH_ENV)) delete base[name];
  // npm's own notice of a newer npm is not the command's output.
  const result = spawnSync(command[0], command.slice(1), { cwd: ROOT, encoding: 'utf8', env: { ...base, CDK8S_OUTDIR: outdir, npm_config_update_notifier: 'false', ...env }, timeout: 300_000 });
  return { ...result, outdir };
}

/** `npm run synth [-- args]` exactly as the README documents it. */
function synth(env: Record<string, string>, args: string[] = []) {
  return run(['npm', 'run', 'synth', ...(args.length ? ['--', ...args] : [])], env);
}

/** `npx cdk8s synth` as the Nx target charts:synth runs it (cdk8s-cli's upgrade check off), into a temporary directory. */
function cdk8sSynth(env: Record<string, string>) {
  const outdir = join(mkdtempSync(join(tmpdir(), 'cdk8s-synth-')), 'dist');
  return run(['npx', 'cdk8s', 'synth', '--output', outdir], { CDK8S_CHECK_UPGRADE: 'false', ...env }, outdir);
}

describe('npm run synth, as the README documents it', () => {
  it('writes the manifests quietly and says the profile it used: the default when OLEADA_PROFILE is unset', () => {
    const run = synth({});
    assert.equal(run.status, 0, run.stderr);
    assert.ok(existsSync(join(run.outdir, '0000-namespaces.k8s.yaml')), `no manifests in ${run.outdir}`);
    assert.doesNotMatch(run.stderr, /^\s+at /m, 'no stack trace');
    assert.doesNotMatch(run.stderr, /new version|cdk8s-cli|http error/i, 'no upgrade check');
    assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
    assert.match(run.stderr, /^synth: profile=kind \(the default; OLEADA_PROFILE=gke\|eks\|kind\|local\) broker=kafka /);
    const gke = synth({ OLEADA_PROFILE: 'gke' });
    assert.equal(gke.status, 0, gke.stderr);
    assert.match(gke.stderr, /^synth: profile=gke broker=kafka /);
  });

  it('answers a bad OLEADA_PROFILE with one line naming it, and lists the variables with --help', () => {
    const bad = synth({ OLEADA_PROFILE: 'nope' });
    assert.equal(bad.status, 78);
    assert.equal(bad.stderr, 'synth: OLEADA_PROFILE=nope is invalid: use gke | eks | kind | local (npm run synth -- --help lists every variable)\n');
    assert.ok(!existsSync(join(bad.outdir, '0000-namespaces.k8s.yaml')));
    const help = synth({}, ['--help']);
    assert.equal(help.status, 0, help.stderr);
    for (const name of Object.keys(SYNTH_ENV)) assert.match(help.stdout, new RegExp(`^  ${name} `, 'm'));
  });

  it('npx cdk8s synth (cdk8s.yaml) runs the same app: the profile said, a bad variable in one line and cdk8s-cli\'s one, no stack trace', () => {
    const good = cdk8sSynth({});
    assert.equal(good.status, 0, good.stderr);
    assert.ok(existsSync(join(good.outdir, '0000-namespaces.k8s.yaml')), `no manifests in ${good.outdir}`);
    assert.match(good.stderr, /^synth: profile=kind \(the default; /m);
    assert.doesNotMatch(good.stderr, /^\s+at /m);
    const bad = cdk8sSynth({ OLEADA_PROFILE: 'nope' });
    assert.equal(bad.status, 1);
    assert.deepEqual(bad.stderr.trim().split('\n'), [
      'synth: OLEADA_PROFILE=nope is invalid: use gke | eks | kind | local (npm run synth -- --help lists every variable)',
      `ERROR: synthesis failed, app expected to create "${bad.outdir}"`,
    ]);
  });
});
