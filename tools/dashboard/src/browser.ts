import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/** Debian's Chromium (tools/scripts/setup-browser.sh installs it); nothing is ever downloaded. */
export function chromiumPath(): string {
  const path = process.env.OLEADA_CHROMIUM || '/usr/bin/chromium';
  if (!existsSync(path)) {
    throw new Error(`Chromium not found at ${path}: run \`bash tools/scripts/setup-browser.sh\` (installs Debian's chromium) or set OLEADA_CHROMIUM`);
  }
  return path;
}

const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/** A headless Chromium with a fresh, throw-away profile; `close()` removes it. The default window is a laptop's. */
export async function openBrowser(viewport = { width: 1280, height: 800 }): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  const executablePath = chromiumPath();
  const profile = mkdtempSync(join(tmpdir(), 'oleada-chromium-'));
  try {
    const context = await chromium.launchPersistentContext(profile, { executablePath, headless: true, args: FLAGS, viewport });
    return {
      context,
      close: async () => {
        await context.close();
        rmSync(profile, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(profile, { recursive: true, force: true });
    throw error;
  }
}
