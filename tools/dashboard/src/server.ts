import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ValkeyCredential } from '@oleada/local';
import { dashboardsFor, parseDashboard, type DashboardModel } from '@oleada/dashboards';
import { SCENARIOS, selectScenarios, type AnyScenario } from '@oleada/scenarios';
import type { ScenarioKeys } from '@oleada/valkey-schema';
import Valkey from 'iovalkey';
import { checkValkeyAccess, valkeyAddress } from './access';
import { evaluateDashboard } from './panels';
import { LAYOUT_WIDTH, renderPage, WIDTH_HEADER } from './render';

export interface PreviewOptions {
  readonly valkeyUrl: string;
  /** The Valkey user to read as (see `valkeyAccess`). @default none (the default user) */
  readonly credential?: ValkeyCredential;
  /** Where `credential` came from, for the error when Valkey refuses it. @default 'the options' */
  readonly credentialSource?: string;
  /** Scenarios to serve. @default every scenario */
  readonly scenarios?: readonly string[];
  /** Keys the panels read (tests use their own namespace). @default each scenario's own */
  readonly keysFor?: (scenario: AnyScenario) => ScenarioKeys;
  /** @default 0 (any free port) */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** Seconds between the page's own refreshes of its panels; 0: none (a still page, e.g. for a PNG). @default 0 */
  readonly refreshSeconds?: number;
}


/**
 * Serves the scenario dashboards as HTML pages drawn from live Valkey: `/d/<scenario>`
 * (`?category=Ropa&category=Hogar` selects categories; default all). With `refreshSeconds` the page
 * fetches itself again at that interval and swaps in the new panels. The dashboards are the ones
 * `dashboardsFor` provisions in Grafana; the Prometheus pipeline dashboard is Grafana-only.
 */
export class DashboardPreview {
  private readonly client: Valkey;
  private readonly server: Server;
  private readonly dashboards: ReadonlyMap<string, DashboardModel>;
  url = '';

  constructor(private readonly options: PreviewOptions) {
    const scenarios = options.scenarios ? selectScenarios(options.scenarios) : [...SCENARIOS];
    const files = dashboardsFor(scenarios, { keysFor: options.keysFor, pipeline: false });
    this.dashboards = new Map(files.map((f) => [f.name, parseDashboard(f.json)]));
    this.client = new Valkey(options.valkeyUrl, {
      lazyConnect: true,
      maxRetriesPerRequest: 1,
      // Runs as Grafana's read-only user, which may not run INFO (the client's ready check).
      enableReadyCheck: false,
      username: options.credential?.username,
      password: options.credential?.password,
      connectionName: 'dashboard-preview',
    });
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  /** Names of the dashboards served (`/d/<name>`). */
  get names(): string[] {
    return [...this.dashboards.keys()];
  }

  dashboard(name: string): DashboardModel | undefined {
    return this.dashboards.get(name);
  }

  /** Throws one line (see `checkValkeyAccess`) when Valkey does not answer or refuses the user. */
  async start(): Promise<string> {
    // Checked first: the client below would connect anyway and every panel then show NOAUTH.
    await checkValkeyAccess({ url: this.options.valkeyUrl, credential: this.options.credential, source: this.options.credentialSource ?? 'the options' });
    await this.client.connect();
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port ?? 0, this.options.host ?? '127.0.0.1', () => resolve());
    });
    const { address, port } = this.server.address() as AddressInfo;
    this.url = `http://${address}:${port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
    this.client.disconnect();
  }

  /** The HTML page of one dashboard, its panels drawn for a grid `width` pixels wide. */
  async page(name: string, selected: Readonly<Record<string, readonly string[]>> = {}, width = LAYOUT_WIDTH): Promise<string | undefined> {
    const dashboard = this.dashboards.get(name);
    if (!dashboard) return undefined;
    const results = await evaluateDashboard(this.client, dashboard, { selected });
    const variables: Record<string, readonly string[]> = {};
    for (const v of dashboard.templating?.list ?? []) variables[v.name] = selected[v.name]?.length ? selected[v.name] : ['All'];
    return renderPage(dashboard, results, {
      valkey: `${valkeyAddress(this.options.valkeyUrl)}${this.options.credential ? ` as ${this.options.credential.username}` : ''}`,
      readAt: new Date(),
      width,
      refreshSeconds: this.options.refreshSeconds ?? 0,
      variables,
      links: this.names.filter((n) => n !== name).map((n) => ({ href: `/d/${n}`, title: this.dashboards.get(n)?.title ?? n })),
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://preview');
    try {
      if (url.pathname === '/favicon.ico') {
        res.writeHead(204).end();
        return;
      }
      if (url.pathname === '/') {
        res.writeHead(302, { location: `/d/${this.names[0]}` }).end();
        return;
      }
      const match = /^\/d\/([a-z][a-z0-9-]*)$/.exec(url.pathname);
      const selected: Record<string, string[]> = {};
      for (const [key, value] of url.searchParams) (selected[key] ??= []).push(value);
      const width = Number(req.headers[WIDTH_HEADER]);
      const html = match ? await this.page(match[1], selected, Number.isFinite(width) && width >= 300 && width <= 4000 ? Math.round(width) : LAYOUT_WIDTH) : undefined;
      if (html === undefined) {
        res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end(`no dashboard here; try ${this.names.map((n) => `/d/${n}`).join(', ')}\n`);
        return;
      }
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(html);
    } catch (error) {
      res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end(`preview failed: ${(error as Error).message}\n`);
    }
  }
}
