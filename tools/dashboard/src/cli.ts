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
import { parseArgs } from 'node:util';
import { DEFAULT_PORTS } from '@oleada/local';
import { ScenarioKeys } from '@oleada/valkey-schema';
import { describeAccess, valkeyAccess } from './access';
import { writeDashboardPng } from './png';
import { DashboardPreview } from './server';

const USAGE = 'usage: cli.js serve [--valkey-url URL] [--port N] [--scenario NAME ...] [--variant NAME] [--refresh SECONDS] | png --scenario NAME --out FILE [--valkey-url URL] [--variant NAME]';

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      'valkey-url': { type: 'string', default: process.env.VALKEY_URL ?? `redis://127.0.0.1:${DEFAULT_PORTS.valkey}` },
      port: { type: 'string', default: '18300' },
      scenario: { type: 'string', multiple: true },
      out: { type: 'string' },
      variant: { type: 'string' },
      refresh: { type: 'string', default: '5' },
    },
  });
  const access = valkeyAccess(values['valkey-url'] as string);
  const valkey = { valkeyUrl: access.url, credential: access.credential, credentialSource: access.source };
  const variant = values.variant;
  const keysFor = variant ? (s: { name: string }) => new ScenarioKeys(s.name, { variant }) : undefined;
  switch (positionals[0]) {
    case 'serve': {
      const refreshSeconds = Number(values.refresh);
      if (!Number.isFinite(refreshSeconds) || refreshSeconds < 0) throw new Error(`--refresh must be a number of seconds (0: never), got ${values.refresh}`);
      const preview = new DashboardPreview({ ...valkey, scenarios: values.scenario, port: Number(values.port), keysFor, refreshSeconds });
      const url = await preview.start();
      process.stdout.write(`[dashboard] reading ${describeAccess(access)}\n${preview.names.map((n) => `[dashboard] ${url}/d/${n}`).join('\n')}\n[dashboard] Ctrl-C stops\n`);
      const stop = () => void preview.stop().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      return;
    }
    case 'png': {
      const scenario = values.scenario?.[0];
      if (!scenario || !values.out) throw new Error(`png needs --scenario and --out\n${USAGE}`);
      const { path, check } = await writeDashboardPng({ ...valkey, scenario, outFile: values.out, keysFor });
      if (check.consoleErrors.length > 0 || check.panelErrors.length > 0) {
        throw new Error(`the page rendered with errors: ${[...check.consoleErrors, ...check.panelErrors].join('; ')}`);
      }
      process.stdout.write(`${path}\n`);
      return;
    }
    default:
      throw new Error(USAGE);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`[dashboard] ${(error as Error).message}\n`);
  process.exit(1);
});
