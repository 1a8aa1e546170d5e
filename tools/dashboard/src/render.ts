import type { DashboardModel, PanelModel } from '@oleada/dashboards';
import { formatValue } from './format';
import type { PanelResult, PanelView } from './panels';

/**
 * The width of the panel grid the charts are drawn for unless the page asks for its own: a
 * 1280 px wide screen less the page's margins. The grid itself follows the window (24 columns
 * sharing its width, like Grafana's); the SVG charts scale to their panel, and a refreshing page
 * asks for charts drawn at its grid's real width (WIDTH_HEADER) so their text keeps its size.
 */
export const LAYOUT_WIDTH = 1240;
/** Request header carrying the grid width, in CSS pixels, the page wants its charts drawn for. */
export const WIDTH_HEADER = 'x-preview-width';
const GAP = 8;
const ROW_HEIGHT = 30;
const columnWidth = (layoutWidth: number) => (layoutWidth - 23 * GAP) / 24;
const HEADER = 32;
const FOOTER = 20;
/** Grafana's classic palette, one colour per panel. */
const PALETTE = ['#73BF69', '#5794F2', '#FF9830', '#B877D9', '#F2CC0C', '#8AB8FF', '#F2495C', '#96D98D'];

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

/** A round upper bound for an axis. */
function niceMax(max: number): number {
  if (max <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(max));
  const steps = [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10];
  return (steps.find((s) => s * magnitude >= max) ?? 10) * magnitude;
}

interface Box {
  readonly width: number;
  readonly height: number;
}

function fmt(panel: PanelModel, value: number | null): string {
  const defaults = panel.fieldConfig?.defaults;
  return formatValue(value, defaults?.unit, defaults?.decimals, defaults?.noValue ?? 'No data');
}

/** Room for the longest y-axis label (11px text). */
function axisWidth(panel: PanelModel, max: number): number {
  return 14 + 6.6 * Math.max(...[0, 1, 2, 3, 4].map((i) => fmt(panel, (max * i) / 4).length));
}

function verticalBars(panel: PanelModel, view: Extract<PanelView, { kind: 'bars' }>, box: Box, color: string): string {
  const max = niceMax(Math.max(0, ...view.values.map((v) => v ?? 0)));
  const left = axisWidth(panel, max);
  const bottom = 26;
  const top = 20;
  const plotW = box.width - left - 10;
  const plotH = box.height - top - bottom;
  const slot = plotW / Math.max(1, view.labels.length);
  const parts: string[] = [];
  for (let i = 0; i <= 4; i++) {
    const y = top + plotH - (plotH * i) / 4;
    parts.push(`<line x1="${left}" x2="${left + plotW}" y1="${y}" y2="${y}" class="grid"/>`);
    parts.push(`<text x="${left - 6}" y="${y + 4}" class="axis" text-anchor="end">${escape(fmt(panel, (max * i) / 4))}</text>`);
  }
  view.labels.forEach((label, i) => {
    const value = view.values[i] ?? 0;
    const h = (plotH * Math.max(0, value)) / max;
    const x = left + i * slot + slot * 0.15;
    const w = slot * 0.7;
    const y = top + plotH - h;
    parts.push(`<rect class="bar" x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${w.toFixed(1)}" height="${h.toFixed(1)}" fill="${color}" data-label="${escape(label)}" data-value="${value}"/>`);
    parts.push(`<text x="${(x + w / 2).toFixed(1)}" y="${(y - 5).toFixed(1)}" class="value" text-anchor="middle">${escape(fmt(panel, view.values[i]))}</text>`);
    parts.push(`<text x="${(x + w / 2).toFixed(1)}" y="${top + plotH + 17}" class="axis" text-anchor="middle">${escape(label)}</text>`);
  });
  return parts.join('');
}

function horizontalBars(panel: PanelModel, view: Extract<PanelView, { kind: 'bars' }>, box: Box, color: string): string {
  const left = Math.min(220, 12 + 7 * Math.max(4, ...view.labels.map((l) => l.length)));
  const right = 90;
  const plotW = box.width - left - right;
  const slot = box.height / Math.max(1, view.labels.length);
  const max = Math.max(1, ...view.values.map((v) => v ?? 0));
  return view.labels
    .map((label, i) => {
      const value = view.values[i] ?? 0;
      const w = (plotW * Math.max(0, value)) / max;
      const y = i * slot + slot * 0.15;
      const h = slot * 0.7;
      return (
        `<text x="${left - 8}" y="${(y + h / 2 + 4).toFixed(1)}" class="axis" text-anchor="end">${escape(label)}</text>` +
        `<rect class="bar" x="${left}" y="${y.toFixed(1)}" width="${w.toFixed(1)}" height="${h.toFixed(1)}" fill="${color}" data-label="${escape(label)}" data-value="${value}"/>` +
        `<text x="${(left + w + 6).toFixed(1)}" y="${(y + h / 2 + 4).toFixed(1)}" class="value">${escape(fmt(panel, view.values[i]))}</text>`
      );
    })
    .join('');
}

function timeBars(panel: PanelModel, view: Extract<PanelView, { kind: 'timebars' }>, box: Box, color: string): string {
  const max = niceMax(Math.max(0, ...view.values.map((v) => v ?? 0)));
  const left = axisWidth(panel, max);
  const bottom = 24;
  const top = 14;
  const plotW = box.width - left - 12;
  const plotH = box.height - top - bottom;
  const span = Math.max(1, view.to - view.from);
  const x = (t: number) => left + ((t - view.from) / span) * plotW;
  const minuteW = Math.max(2, (60_000 / span) * plotW * 0.8);
  const parts: string[] = [];
  for (let i = 0; i <= 4; i++) {
    const y = top + plotH - (plotH * i) / 4;
    parts.push(`<line x1="${left}" x2="${left + plotW}" y1="${y}" y2="${y}" class="grid"/>`);
    parts.push(`<text x="${left - 6}" y="${y + 4}" class="axis" text-anchor="end">${escape(fmt(panel, (max * i) / 4))}</text>`);
  }
  const tick = 5 * 60_000;
  for (let t = Math.ceil(view.from / tick) * tick; t <= view.to; t += tick) {
    const d = new Date(t);
    const label = `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
    parts.push(`<text x="${x(t).toFixed(1)}" y="${top + plotH + 16}" class="axis" text-anchor="middle">${label}</text>`);
  }
  view.times.forEach((t, i) => {
    const value = view.values[i] ?? 0;
    const h = (plotH * Math.max(0, value)) / max;
    parts.push(
      `<rect class="bar" x="${x(t).toFixed(1)}" y="${(top + plotH - h).toFixed(1)}" width="${minuteW.toFixed(1)}" height="${h.toFixed(1)}" fill="${color}" data-label="${new Date(t).toISOString()}" data-value="${value}"><title>${escape(fmt(panel, view.values[i]))}</title></rect>`,
    );
  });
  return parts.join('');
}

function panelBody(result: PanelResult, box: Box, color: string): string {
  const { panel, view } = result;
  if (result.error || !view) return `<div class="panel-error">${escape(result.error ?? 'no data')}</div>`;
  if (view.kind === 'stat') {
    const text = fmt(panel, view.value);
    const size = Math.max(14, Math.min(48, Math.floor(box.width / (0.62 * Math.max(1, text.length))), Math.floor(box.height / 2)));
    return `<div class="stat" style="color:${color};font-size:${size}px" data-value="${view.value ?? ''}">${escape(text)}</div>`;
  }
  if ((view.kind === 'bars' && view.labels.length === 0) || (view.kind === 'timebars' && view.times.length === 0)) {
    return `<div class="no-data">No data</div>`;
  }
  const inner = view.kind === 'bars' ? (view.horizontal ? horizontalBars(panel, view, box, color) : verticalBars(panel, view, box, color)) : timeBars(panel, view, box, color);
  return `<svg viewBox="0 0 ${box.width} ${box.height}" role="img" aria-label="${escape(panel.title)}">${inner}</svg>`;
}

function panelHtml(result: PanelResult, index: number, layoutWidth: number): string {
  const { panel } = result;
  const { x, y, w, h } = panel.gridPos;
  const width = Math.round(w * columnWidth(layoutWidth) + (w - 1) * GAP);
  const height = h * ROW_HEIGHT + (h - 1) * GAP;
  const box = { width: width - 16, height: height - HEADER - FOOTER - 8 };
  const color = PALETTE[index % PALETTE.length];
  return (
    `<section class="panel" data-panel-id="${panel.id}" data-panel-type="${panel.type}" data-kind="${result.view?.kind ?? 'error'}" ` +
    `style="grid-column:${x + 1} / span ${w};grid-row:${y + 1} / span ${h};--h:${h}">` +
    `<h2>${escape(panel.title)}</h2><div class="body">${panelBody(result, box, color)}</div>` +
    `<footer title="${escape(result.commands.map((c) => c.join(' ')).join('; '))}">${escape(panel.description ?? '')}</footer></section>`
  );
}

export interface PageInfo {
  /** Which Valkey, as whom: `127.0.0.1:16379 as oleada-grafana`. */
  readonly valkey: string;
  readonly readAt: Date;
  /** Grid width the charts are drawn for. @default LAYOUT_WIDTH */
  readonly width?: number;
  /** Seconds between the page's refreshes of its panels; 0 or absent: none. */
  readonly refreshSeconds?: number;
  /** Selected variable values, for the header. */
  readonly variables: Readonly<Record<string, readonly string[]>>;
  /** Links to the other dashboards. */
  readonly links: ReadonlyArray<{ readonly href: string; readonly title: string }>;
}

/**
 * Every `ms`, fetches the page again (saying its grid's width) and swaps in the new grid and header
 * line: no reload, so nothing flashes and the scroll position stays. On a failure the last panels
 * stay, with the reason beside them.
 */
function refreshScript(ms: number): string {
  return `<script>
(() => {
  const grid = () => document.getElementById('grid');
  const status = document.getElementById('refresh-status');
  async function refresh() {
    try {
      const response = await fetch(location.href, { cache: 'no-store', headers: { '${WIDTH_HEADER}': String(grid().clientWidth) } });
      const text = await response.text();
      if (!response.ok) throw new Error(text.trim() || 'HTTP ' + response.status);
      const next = new DOMParser().parseFromString(text, 'text/html');
      for (const id of ['grid', 'meta']) document.getElementById(id).replaceWith(next.getElementById(id));
      status.textContent = '';
    } catch (error) {
      status.textContent = 'refresh failed: ' + error.message + '; showing the last data';
    }
    setTimeout(refresh, ${ms});
  }
  // Charts drawn for a grid of another width than this window's are redrawn for it at once.
  setTimeout(refresh, Math.abs(grid().clientWidth - Number(grid().dataset.width)) > 8 ? 0 : ${ms});
})();
</script>`;
}

/**
 * A self-contained HTML page (inline CSS and SVG, nothing fetched from elsewhere) drawing every
 * panel; with `refreshSeconds`, a small script refreshes the panels from the same URL.
 */
export function renderPage(dashboard: DashboardModel, results: readonly PanelResult[], info: PageInfo): string {
  const width = info.width ?? LAYOUT_WIDTH;
  const refresh = info.refreshSeconds ?? 0;
  const variables = Object.entries(info.variables)
    .map(([name, values]) => `<span class="variable">${escape(name)}: <b>${escape(values.join(', '))}</b></span>`)
    .join('');
  const links = info.links.map((l) => `<a href="${escape(l.href)}">${escape(l.title)}</a>`).join(' · ');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(dashboard.title)} · preview</title>
<style>
  * { box-sizing: border-box; }
  body { margin: 0; padding: 16px 20px; background: #111217; color: #ccccdc; font: 13px/1.35 "DejaVu Sans", Inter, Helvetica, Arial, sans-serif; }
  header { display: flex; flex-wrap: wrap; align-items: baseline; gap: 6px 18px; margin-bottom: 12px; }
  header h1 { font-size: 20px; margin: 0; color: #e6e6f0; font-weight: 500; }
  header .meta { color: #8e8ea0; font-size: 12px; }
  .variable { background: #22252b; border: 1px solid #2f3238; border-radius: 3px; padding: 3px 8px; }
  nav { margin-left: auto; font-size: 12px; } nav a { color: #6e9fff; text-decoration: none; }
  #refresh-status { color: #f2495c; }
  .grid-area { display: grid; grid-template-columns: repeat(24, minmax(0, 1fr)); grid-auto-rows: ${ROW_HEIGHT}px; gap: ${GAP}px; }
  .panel { min-width: 0; background: #181b1f; border: 1px solid #24272e; border-radius: 3px; padding: 0 8px; overflow: hidden; }
  .panel h2 { font-size: 13px; font-weight: 500; margin: 0; height: ${HEADER}px; line-height: ${HEADER}px; color: #e6e6f0; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
  .panel .body { height: calc(100% - ${HEADER + FOOTER}px); display: flex; align-items: center; justify-content: center; }
  .panel footer { height: ${FOOTER}px; font: 10px/20px "DejaVu Sans Mono", monospace; color: #6c6f7e; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
  .stat { font-weight: 500; white-space: nowrap; }
  .no-data, .panel-error { color: #8e8ea0; font-size: 14px; } .panel-error { color: #f2495c; padding: 8px; }
  .panel svg { display: block; width: 100%; height: 100%; }
  svg text.axis { fill: #9fa1ad; font-size: 11px; } svg text.value { fill: #e6e6f0; font-size: 11px; }
  svg line.grid { stroke: #2c2f36; stroke-width: 1; }
  p.note { color: #6c6f7e; font-size: 11px; margin: 10px 0 0; }
  /* A narrow window: one panel per row, each as tall as in the grid. */
  @media (max-width: 760px) { .grid-area { grid-template-columns: minmax(0, 1fr); } .panel { grid-column: 1 !important; grid-row: auto / span var(--h) !important; } }
</style></head>
<body>
<header><h1>${escape(dashboard.title)}</h1>${variables}<span class="meta" id="meta">Valkey ${escape(info.valkey)} · read ${escape(info.readAt.toISOString().replace('T', ' ').slice(0, 19))} UTC${refresh > 0 ? ` · refreshes every ${refresh} s` : ''}</span><span class="meta" id="refresh-status"></span><nav>${links}</nav></header>
<main class="grid-area" id="grid" data-width="${width}" data-read-at="${info.readAt.getTime()}">${results.map((r, i) => panelHtml(r, i, width)).join('\n')}</main>
<p class="note">Preview of the dashboard JSON that Grafana provisions (uid ${escape(dashboard.uid)}): every panel's query ran against this Valkey as the redis-datasource plugin runs it, then through the panel's Grafana transformations.</p>
${refresh > 0 ? refreshScript(refresh * 1000) : ''}
</body></html>
`;
}
