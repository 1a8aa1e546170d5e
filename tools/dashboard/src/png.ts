import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { openBrowser } from './browser';
import { DashboardPreview, type PreviewOptions } from './server';

/** What a browser saw when it loaded a preview page. */
export interface PageCheck {
  /** `.panel` elements on the page. */
  readonly panels: number;
  /** Panels that show an error instead of data. */
  readonly panelErrors: readonly string[];
  /** Console messages of type error, and uncaught page errors. */
  readonly consoleErrors: readonly string[];
  /** Bars drawn (SVG rects) and stat values, per panel id. */
  readonly drawn: Readonly<Record<string, number>>;
}

/**
 * Loads `url` in headless Chromium and reports what it rendered; with `screenshot`, also writes a
 * full-page PNG there.
 */
export async function checkPage(url: string, screenshot?: string): Promise<PageCheck> {
  const browser = await openBrowser();
  const consoleErrors: string[] = [];
  try {
    const page = await browser.context.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(`page error: ${error.message}`));
    const response = await page.goto(url, { waitUntil: 'load' });
    if (!response || response.status() !== 200) throw new Error(`${url} answered ${response?.status() ?? 'nothing'}`);
    const panels = await page.locator('section.panel').count();
    const panelErrors = await page.locator('section.panel .panel-error').allTextContents();
    const drawn = await page.$$eval('section.panel', (sections) =>
      Object.fromEntries(sections.map((s) => [s.getAttribute('data-panel-id') ?? '?', s.querySelectorAll('rect.bar').length + s.querySelectorAll('.stat').length])),
    );
    if (screenshot) {
      mkdirSync(dirname(screenshot), { recursive: true });
      await page.screenshot({ path: screenshot, fullPage: true });
    }
    return { panels, panelErrors, consoleErrors, drawn };
  } finally {
    await browser.close();
  }
}

export interface DashboardPngOptions extends Omit<PreviewOptions, 'scenarios' | 'port'> {
  /** The scenario whose dashboard to draw. */
  readonly scenario: string;
  /** Where the PNG goes (relative to the working directory). */
  readonly outFile: string;
}

/** Draws a scenario's dashboard from live Valkey and writes it as a PNG; returns its absolute path. */
export async function writeDashboardPng(options: DashboardPngOptions): Promise<{ path: string; check: PageCheck }> {
  const preview = new DashboardPreview({ ...options, scenarios: [options.scenario] });
  const url = await preview.start();
  try {
    const path = resolve(options.outFile);
    const check = await checkPage(`${url}/d/${options.scenario}`, path);
    return { path, check };
  } finally {
    await preview.stop();
  }
}
