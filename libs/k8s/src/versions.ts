import versions from './versions.json';

/** One third-party piece the bootstrap, the charts or the guides install, as `versions.json` pins it. */
export interface PinnedComponent {
  /** Stable key (`pinned('kafka')`). */
  readonly id: string;
  /** What it is and how it is installed. */
  readonly name: string;
  /** The variable of `tools/bootstrap/bootstrap.sh` that overrides the pin, when the bootstrap installs it. */
  readonly env?: string;
  readonly version: string;
  /** Full image reference, for pieces that are images. */
  readonly image?: string;
  /** `sha256:…` when a digest is pinned too; null when none could be verified. */
  readonly digest?: string | null;
  /** Helm repository URL, for charts installed from one. */
  readonly repository?: string;
  /** End-of-life date (YYYY-MM-DD) the project declared for this version; null when it declares none. */
  readonly eol: string | null;
  /** Until when (or under which policy) this version is supported. */
  readonly supportedUntil: string;
  /** Where the version, its support and its compatibility were read. */
  readonly source: string;
  /** Releases the project declared end of life, with the date. */
  readonly endOfLife?: Readonly<Record<string, string>>;
  /** Repositories the project retired (URL → date), which nothing may install from. */
  readonly retiredRepositories?: Readonly<Record<string, string>>;
}

/** Every pin, in the order the version table lists them. */
export const PINNED_COMPONENTS: readonly PinnedComponent[] = versions.components;

/** The pin of one component; throws on an unknown id so a typo fails at synth, not in a cluster. */
export function pinned(id: string): PinnedComponent {
  const found = PINNED_COMPONENTS.find((c) => c.id === id);
  if (!found) throw new Error(`no pinned component "${id}" in libs/k8s/src/versions.json`);
  return found;
}

/** Why a pin is past its end of life on `today` (YYYY-MM-DD), or undefined while it is supported. */
export function endOfLifeReason(component: PinnedComponent, today: string): string | undefined {
  if (component.eol && component.eol <= today) return `${component.id} ${component.version}: end of life since ${component.eol}`;
  for (const [release, date] of Object.entries(component.endOfLife ?? {})) {
    const sameRelease = component.version === release || component.version.startsWith(`${release}.`);
    if (sameRelease && date <= today) return `${component.id} ${component.version}: release ${release} end of life since ${date}`;
  }
  return undefined;
}
