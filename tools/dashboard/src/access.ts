import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import { repoRoot, valkeyCredentials, valkeyLogin, valkeySecretsFile, VALKEY_ACL_ROLES, type ValkeyCredential } from '@oleada/local';

/** Which Valkey the dashboard reads, as whom, and where that user came from. */
export interface ValkeyAccess {
  readonly url: string;
  readonly credential?: ValkeyCredential;
  /** Where the credential came from (for the line `serve` prints and for error messages). */
  readonly source: string;
}

const ENV_SOURCE = 'VALKEY_USERNAME/VALKEY_PASSWORD';

/** `.cache/secrets/valkey.env`, as a path from the repository root. */
function secretsFileName(): string {
  return relative(repoRoot(), valkeySecretsFile());
}

/**
 * Whom the dashboard reads Valkey as: VALKEY_USERNAME/VALKEY_PASSWORD when set (the demo passes
 * Grafana's user that way), else Grafana's read-only user from the secrets file the local stack
 * (`npm start`, `npm run infra`) generates and gives its apps their users from, else nobody (a
 * Valkey without authentication). The file is only read here, never created.
 */
export function valkeyAccess(url: string, env: NodeJS.ProcessEnv = process.env): ValkeyAccess {
  if (env.VALKEY_USERNAME || env.VALKEY_PASSWORD) {
    return { url, credential: { username: env.VALKEY_USERNAME || 'default', password: env.VALKEY_PASSWORD ?? '' }, source: ENV_SOURCE };
  }
  if (existsSync(valkeySecretsFile())) return { url, credential: valkeyCredentials().grafana, source: secretsFileName() };
  return { url, source: 'none' };
}

/** `127.0.0.1:16379` of a `redis://` URL. */
export function valkeyAddress(url: string): string {
  const { hostname, port } = new URL(url);
  return `${hostname}:${port || 6379}`;
}

/** E.g. `Valkey 127.0.0.1:16379 as oleada-grafana (read-only; password from .cache/secrets/valkey.env)`. */
export function describeAccess(access: ValkeyAccess): string {
  const where = `Valkey ${valkeyAddress(access.url)}`;
  if (!access.credential) return `${where} without a user (neither ${ENV_SOURCE} nor ${secretsFileName()} gives one)`;
  const readOnly = access.credential.username === VALKEY_ACL_ROLES.grafana.username ? "Grafana's read-only user, " : '';
  return `${where} as ${access.credential.username} (${readOnly}password from ${access.source})`;
}

/**
 * Logs in once as `access` says and PINGs; throws one line saying what went wrong and what to do
 * when Valkey does not answer or does not accept the user.
 */
export async function checkValkeyAccess(access: ValkeyAccess): Promise<void> {
  const login = await valkeyLogin(access.url, access.credential, 3000);
  if (login.state === 'ok') return;
  const where = valkeyAddress(access.url);
  if (login.state === 'unavailable') {
    throw new Error(`cannot read Valkey ${where}: ${login.detail}; is \`npm start\` running (or is --valkey-url wrong)?`);
  }
  if (!access.credential) {
    throw new Error(
      `Valkey ${where} requires authentication (${login.detail}) and no user was found: ${secretsFileName()} does not exist here and ${ENV_SOURCE} are not set; start the stack with \`npm start\` from this checkout`,
    );
  }
  const hint = access.source.endsWith('.env')
    ? `${access.source} does not hold this Valkey's passwords (was it started from another checkout?); set ${ENV_SOURCE} to a user it knows`
    : `check ${access.source}`;
  throw new Error(`Valkey ${where} refused user ${access.credential.username} (${login.detail}): ${hint}`);
}
