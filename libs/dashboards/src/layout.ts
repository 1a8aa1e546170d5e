import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import { DashboardBuilder, type GridPos, type Panel } from '@grafana/grafana-foundation-sdk/dashboard';

/** What every SDK panel builder offers that the layout needs. */
export interface PanelBuilderLike extends cog.Builder<Panel> {
  id(id: number): this;
  gridPos(gridPos: GridPos): this;
}

/** A panel and the size it asks for on Grafana's 24-column grid. */
export interface SizedPanel {
  readonly panel: PanelBuilderLike;
  readonly w: number;
  readonly h: number;
}

export const GRID_COLUMNS = 24;

/**
 * Places panels left to right, wrapping when a row is full; ids follow the order. Positions are
 * computed here (not by the SDK's builder) so the JSON is the same whatever the SDK version.
 */
export function placePanels(dashboard: DashboardBuilder, panels: readonly SizedPanel[]): DashboardBuilder {
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  panels.forEach(({ panel, w, h }, i) => {
    if (w > GRID_COLUMNS) throw new Error(`panel ${i + 1} is wider than the grid (${w})`);
    if (x + w > GRID_COLUMNS) {
      x = 0;
      y += rowHeight;
      rowHeight = 0;
    }
    dashboard.withPanel(panel.id(i + 1).gridPos({ x, y, w, h }));
    x += w;
    rowHeight = Math.max(rowHeight, h);
  });
  return dashboard;
}

/** The SDK's dashboard as plain JSON (what Grafana stores and provisioning reads). */
export function toJson(dashboard: DashboardBuilder): Record<string, unknown> {
  return JSON.parse(JSON.stringify(dashboard.build())) as Record<string, unknown>;
}
