import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { synthesize } from './app';
import { loadConfig, SYNTH_ENV } from './config';

/**
 * Entry point of `cdk8s synth` (cdk8s.yaml: `node charts/dist/main.js`): writes every manifest to
 * the repository's `dist/` (CDK8S_OUTDIR when set), replacing what was there.
 */
function main(): void {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    process.stderr.write(`synth: ${(error as Error).message}\n\nvariables:\n`);
    for (const [name, meaning] of Object.entries(SYNTH_ENV)) process.stderr.write(`  ${name.padEnd(26)} ${meaning}\n`);
    process.exit(78);
  }
  const outdir = resolve(process.env.CDK8S_OUTDIR ?? resolve(__dirname, '..', '..', 'dist'));
  rmSync(outdir, { recursive: true, force: true });
  synthesize(config, outdir);
  process.stdout.write(
    `synth: profile=${config.profile.name} broker=${config.brokerMode} valkey=${config.valkeyMode} entry=${config.entry.mode} ` +
      `registry=${config.registry} tag=${config.imageTag} scenarios=${config.scenarios.map((s) => s.name).join(',')} → ${outdir}\n`,
  );
}

main();
