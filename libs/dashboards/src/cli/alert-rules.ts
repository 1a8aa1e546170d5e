#!/usr/bin/env node
// Prints Oleada's Prometheus rule file (libs/dashboards/src/alert-rules.ts) as YAML, for a Prometheus
// that reads rule files (the local cluster's) and for promtool:
//   node libs/dashboards/dist/cli/alert-rules.js [--job NAME] > alerting_rules.yml
import { alertRulesYaml } from '../alert-rules';

const args = process.argv.slice(2);
let job: string | undefined;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--job' && args[i + 1]) {
    job = args[++i];
  } else {
    process.stderr.write(`alert-rules.js: unexpected argument ${args[i]}\nusage: alert-rules.js [--job NAME]\n`);
    process.exit(2);
  }
}
process.stdout.write(alertRulesYaml({ job }));
