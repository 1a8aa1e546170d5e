#!/usr/bin/env node
/**
 * Publishes scenario data sets to the registry as OCI artifacts, or pulls one back.
 *
 *   node tools/oci/dist/cli.js publish-dataset [--scenario=<name>]…   (nx run oci:publish-dataset)
 *   node tools/oci/dist/cli.js pull-dataset <ref> [--out=<file>]
 *
 * Environment: REGISTRY, ZOT_USERNAME, ZOT_PASSWORD, OLEADA_DATASET_REF, REGISTRY_INSECURE,
 * REGISTRY_CA_FILE (see docs/images-and-registry.md).
 */
import { writeFileSync } from 'node:fs';
import { getScenario, scenarioNames } from '@oleada/scenarios';
import { clientOptions, readOciEnvironment } from './config';
import { defaultDatasetReference, publishDataset, pullDataset } from './dataset-artifact';
import { parseReference } from './reference';
import { RegistryClient } from './registry-client';

const USAGE = `usage:
  cli.js publish-dataset [--scenario=<name>]...   publish data sets (default: every scenario)
  cli.js pull-dataset <ref> [--out=<file>]        pull one, verify it, print or write its JSON`;

function options(args: readonly string[], name: string): string[] {
  const prefix = `--${name}=`;
  return args.filter((a) => a.startsWith(prefix)).map((a) => a.slice(prefix.length));
}

async function publish(args: readonly string[]): Promise<void> {
  const env = readOciEnvironment();
  const requested = options(args, 'scenario').flatMap((s) => s.split(',')).filter(Boolean);
  const names = requested.length ? requested : scenarioNames();
  if (env.datasetRef && names.length !== 1) {
    throw new Error(`OLEADA_DATASET_REF names one artifact; choose one scenario with --scenario=<name> (known: ${scenarioNames().join(', ')})`);
  }
  for (const name of names) {
    const scenario = getScenario(name);
    let target = env.datasetRef;
    if (!target) {
      if (!env.registry) throw new Error('REGISTRY is not set (host:port of Zot), and no OLEADA_DATASET_REF either');
      target = defaultDatasetReference(env.registry, scenario);
    }
    const ref = parseReference(target);
    const client = new RegistryClient(clientOptions(env, ref.registry));
    const published = await publishDataset(client, ref, scenario);
    console.log(`published ${name} data set: ${published.reference} (layer ${published.layerDigest}, ${published.size} bytes)`);
  }
}

async function pull(args: readonly string[]): Promise<void> {
  const target = args.find((a) => !a.startsWith('--'));
  if (!target) throw new Error(`pull-dataset needs a reference\n${USAGE}`);
  const env = readOciEnvironment();
  const ref = parseReference(target);
  const pulled = await pullDataset(new RegistryClient(clientOptions(env, ref.registry)), ref);
  const [out] = options(args, 'out');
  if (out) {
    writeFileSync(out, pulled.bytes);
    console.log(`wrote ${out}: manifest ${pulled.manifestDigest}, layer ${pulled.layerDigest}`);
  } else {
    process.stdout.write(pulled.bytes);
  }
}

async function main(argv: readonly string[]): Promise<void> {
  const [command, ...args] = argv;
  if (command === 'publish-dataset') return publish(args);
  if (command === 'pull-dataset') return pull(args);
  throw new Error(USAGE);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
