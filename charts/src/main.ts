import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { synthesize } from './app';
import { loadConfig, SYNTH_ENV } from './config';
import { PROFILE_NAMES } from './profiles';

/**
 * Entry point of `npm run synth` (`tsc -b charts`, then this) and of `npx cdk8s synth` (cdk8s.yaml's
 * app: the same two steps): writes every manifest to the repository's `dist/` (CDK8S_OUTDIR when
 * set), replacing what was there. What it says goes to stderr: cdk8s-cli keeps the app's stdout
 * to itself. A bad variable is one line naming it; `--help` lists them all.
 */
function main(): void {
  if (process.argv.includes('--help')) {
    process.stdout.write('npm run synth: the Kubernetes manifests into dist/, configured by the environment:\n');
    for (const [name, meaning] of Object.entries(SYNTH_ENV)) process.stdout.write(`  ${name.padEnd(26)} ${meaning}\n`);
    return;
  }
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    process.stderr.write(`synth: ${(error as Error).message} (npm run synth -- --help lists every variable)\n`);
    process.exit(78);
  }
  const outdir = resolve(process.env.CDK8S_OUTDIR ?? resolve(__dirname, '..', '..', 'dist'));
  rmSync(outdir, { recursive: true, force: true });
  synthesize(config, outdir);
  const profile = process.env.OLEADA_PROFILE ? config.profile.name : `${config.profile.name} (the default; OLEADA_PROFILE=${PROFILE_NAMES.join('|')})`;
  process.stderr.write(
    `synth: profile=${profile} broker=${config.brokerMode} valkey=${config.valkeyMode} entry=${config.entry.mode} ` +
      `registry=${config.registry} tag=${config.imageTag} scenarios=${config.scenarios.map((s) => s.name).join(',')} → ${outdir}\n`,
  );
}

main();
