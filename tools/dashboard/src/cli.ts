#!/usr/bin/env node
/**
 * The dashboards, drawn from live Valkey without Grafana.
 *   node tools/dashboard/dist/cli.js serve [--valkey-url URL] [--port N] [--scenario NAME ...] [--refresh SECONDS]
 *       serves /d/<scenario> until Ctrl-C (`npm run dashboard`); the page refreshes its panels every
 *       `--refresh` seconds (default 5; 0: never)
 *   node tools/dashboard/dist/cli.js png --scenario NAME --out FILE [--valkey-url URL] [--variant NAME]
 *       writes one dashboard as a PNG with headless Chromium (`npm run demo` ends with this)
 * `--variant kafka|rabbitmq` reads one broker path's aggregates (VALKEY_VARIANT, both brokers running).
 * The Valkey URL defaults to $VALKEY_URL, else the local default (redis://127.0.0.1:16379). The
 * user is VALKEY_USERNAME/VALKEY_PASSWORD when set, else Grafana's read-only user from
 * .cache/secrets/valkey.env (what `npm start` generated); see access.ts. When Valkey does not
 * answer or refuses the user, the CLI exits 1 with one line saying so.
 */
import { DEFAULT_PORTS, opt, parseCli } from '@oleada/local';
import { SCENARIOS } from '@oleada/scenarios';
import { ScenarioKeys } from '@oleada/valkey-schema';
import { describeAccess, valkeyAccess } from './access';
import { writeDashboardPng } from './png';
import { DashboardPreview } from './server';

async function main(): Promise<void> {
  const { command, values } = parseCli({
    usage: 'node tools/dashboard/dist/cli.js',
    summary: 'The Grafana dashboards drawn from live Valkey without Grafana (`npm run dashboard` serves them).',
    commands: { serve: 'serve /d/<scenario> until Ctrl-C', png: 'write one dashboard as a PNG with headless Chromium (needs --scenario and --out)' },
    options: {
      'valkey-url': opt.string('Valkey to read', { default: process.env.VALKEY_URL ?? `redis://127.0.0.1:${DEFAULT_PORTS.valkey}`, defaultText: `$VALKEY_URL, else redis://127.0.0.1:${DEFAULT_PORTS.valkey}`, valueName: 'URL' }),
      port: opt.port('serve: the HTTP port', { default: 18300 }),
      scenario: opt.list('scenario to draw', { choices: SCENARIOS.map((s) => s.name) }),
      out: opt.string('png: the file to write', { valueName: 'FILE' }),
      variant: opt.string("one broker path's aggregates (VALKEY_VARIANT, both brokers running), e.g. kafka or rabbitmq", { valueName: 'NAME' }),
      refresh: opt.number('serve: seconds between panel refreshes (0: never)', { default: 5, min: 0 }),
    },
    check: (v, command) => (command === 'png' && (!v.scenario || !v.out) ? 'png needs --scenario and --out' : undefined),
  });
  const access = valkeyAccess(values['valkey-url']);
  const valkey = { valkeyUrl: access.url, credential: access.credential, credentialSource: access.source };
  const variant = values.variant;
  const keysFor = variant ? (s: { name: string }) => new ScenarioKeys(s.name, { variant }) : undefined;
  switch (command) {
    case 'serve': {
      const preview = new DashboardPreview({ ...valkey, scenarios: values.scenario, port: values.port, keysFor, refreshSeconds: values.refresh });
      const url = await preview.start();
      process.stdout.write(`[dashboard] reading ${describeAccess(access)}\n${preview.names.map((n) => `[dashboard] ${url}/d/${n}`).join('\n')}\n[dashboard] Ctrl-C stops\n`);
      const stop = () => void preview.stop().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      return;
    }
    case 'png': {
      const { path, check } = await writeDashboardPng({ ...valkey, scenario: values.scenario![0], outFile: values.out!, keysFor });
      if (check.consoleErrors.length > 0 || check.panelErrors.length > 0) {
        throw new Error(`the page rendered with errors: ${[...check.consoleErrors, ...check.panelErrors].join('; ')}`);
      }
      process.stdout.write(`${path}\n`);
      return;
    }
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`[dashboard] ${(error as Error).message}\n`);
  process.exit(1);
});
