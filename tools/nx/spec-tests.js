// Nx plugin: infers a `test` target for every project that has specs (`src/**/*.spec.ts`). It runs
// them with node's test runner through tools/scripts/run-tests.mjs, which starts the project's own
// Kafka, Valkey and RabbitMQ (so Nx must not run two at once: `parallelism: false` in nx.json).
const { readdirSync, statSync } = require('node:fs');
const { dirname, join } = require('node:path');

function hasSpecs(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (name !== 'node_modules' && name !== 'dist' && hasSpecs(path)) return true;
    } else if (name.endsWith('.spec.ts')) {
      return true;
    }
  }
  return false;
}

exports.createNodesV2 = [
  '{apps,libs,tools,charts}/**/tsconfig.json',
  (configFiles, _options, context) =>
    configFiles.flatMap((file) => {
      const root = dirname(file);
      let found = false;
      try {
        found = hasSpecs(join(context.workspaceRoot, root, 'src'));
      } catch {
        return [];
      }
      if (!found) return [];
      const target = { executor: 'nx:run-commands', options: { command: `node tools/scripts/run-tests.mjs ${root}/`, cwd: '{workspaceRoot}' } };
      return [[file, { projects: { [root]: { targets: { test: target } } } }]];
    }),
];
