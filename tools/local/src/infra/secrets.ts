import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { cacheDir } from './paths';

/** `.cache/secrets` (git-ignored, like all of `.cache/`): credentials generated for local servers. */
export function secretsDir(): string {
  return join(cacheDir(), 'secrets');
}

/** A fresh random secret: 32 bytes, base64url (no characters that need quoting in a shell or URL). */
export function generateSecret(): string {
  return randomBytes(32).toString('base64url');
}

function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^\s*([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (match) out[match[1]] = match[2].trim();
  }
  return out;
}

function renderEnvFile(values: Record<string, string>, comment: string): string {
  return `# ${comment}\n# Generated once by tools/local; never commit it. Delete it to rotate every secret.\n${Object.entries(values)
    .map(([name, value]) => `${name}=${value}`)
    .join('\n')}\n`;
}

/**
 * The secrets `names` from a `KEY=value` file readable by its owner only (0600, in a 0700
 * directory). Missing names are generated once and written back, so every later run — and every
 * process that reads the file — gets the same values. Safe against two processes creating the
 * file at the same time: the file appears atomically and the loser reads the winner's values.
 */
export function loadOrCreateSecrets(file: string, names: readonly string[], comment = 'local secrets'): Record<string, string> {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  if ((statSync(dirname(file)).mode & 0o077) !== 0) chmodSync(dirname(file), 0o700);
  for (let attempt = 0; attempt < 3; attempt++) {
    const existing = existsSync(file) ? parseEnvFile(readFileSync(file, 'utf8')) : undefined;
    if (existing && names.every((name) => existing[name])) {
      if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
      return Object.fromEntries(names.map((name) => [name, existing[name]]));
    }
    const values = { ...existing };
    for (const name of names) values[name] ||= generateSecret();
    const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
    writeFileSync(temp, renderEnvFile(values, comment), { mode: 0o600 });
    try {
      if (existing) {
        renameSync(temp, file); // adding names to an existing file: replace it atomically
      } else {
        linkSync(temp, file); // fails if another process created the file meanwhile
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      rmSync(temp, { force: true });
    }
  }
  throw new Error(`could not create the secrets file ${file}`);
}
