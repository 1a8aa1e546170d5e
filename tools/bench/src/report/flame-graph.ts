import { componentOf, frameName, type CpuProfile } from '../measure/cpu-profile';

/** One frame of the merged call tree: the same function under the same caller path is one node. */
export interface FlameNode {
  readonly name: string;
  readonly component: string;
  /** Microseconds sampled in this frame itself. */
  self: number;
  /** Microseconds sampled in this frame and everything it called. */
  total: number;
  readonly children: FlameNode[];
}

/**
 * The call tree of a profile's busy samples between `fromUs` and `toUs` (monotonic microseconds),
 * with times attributed as summarizeProfile does (a sample owns the delta before it). Children of
 * a node that name the same frame are merged (V8 splits them, e.g. by inlining), and idle samples
 * are left out, so the root's total is the busy time.
 */
export function flameTree(profile: CpuProfile, window: { fromUs?: number; toUs?: number } = {}): FlameNode {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfById = new Map<number, number>();
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if ((window.fromUs !== undefined && at < window.fromUs) || (window.toUs !== undefined && at > window.toUs)) continue;
    selfById.set(profile.samples[i], (selfById.get(profile.samples[i]) ?? 0) + delta);
  }
  const childIds = new Set(profile.nodes.flatMap((n) => n.children ?? []));
  const roots = profile.nodes.filter((n) => !childIds.has(n.id));
  const root: FlameNode = { name: 'all', component: 'all', self: 0, total: 0, children: [] };
  // Iterative: JavaScript stacks can be deeper than is comfortable to recurse over.
  const stack: Array<{ id: number; into: FlameNode }> = roots.flatMap((r) => (r.children ?? []).map((id) => ({ id, into: root })));
  while (stack.length > 0) {
    const { id, into } = stack.pop()!;
    const node = byId.get(id);
    if (!node) continue;
    const { callFrame } = node;
    if (callFrame.functionName === '(idle)') continue;
    const name = frameName(callFrame);
    let merged = into.children.find((c) => c.name === name);
    if (!merged) into.children.push((merged = { name, component: componentOf(callFrame.url, callFrame.functionName), self: 0, total: 0, children: [] }));
    merged.self += selfById.get(id) ?? 0;
    for (const child of node.children ?? []) stack.push({ id: child, into: merged });
  }
  const sum = (node: FlameNode): number => (node.total = node.self + node.children.reduce((s, c) => s + sum(c), 0));
  sum(root);
  prune(root);
  return root;
}

/** Drops frames that were never sampled in the window (they draw nothing) and orders the rest, widest first. */
function prune(node: FlameNode): void {
  for (let i = node.children.length - 1; i >= 0; i--) if (node.children[i].total <= 0) node.children.splice(i, 1);
  node.children.sort((a, b) => b.total - a.total || (a.name < b.name ? -1 : 1));
  for (const child of node.children) prune(child);
}

/**
 * Frames with the most time in them and below them (inclusive), widest first, the root excluded;
 * only those `keep` accepts (e.g. not the runtime's own wrappers, which hold everything).
 */
export function widestFrames(root: FlameNode, count: number, keep: (node: FlameNode) => boolean = () => true): Array<{ name: string; share: number }> {
  const totals = new Map<string, number>();
  const visit = (node: FlameNode, onPath: Set<string>) => {
    // A recursive function counts once per stack, not once per level.
    const first = !onPath.has(node.name);
    if (first && keep(node)) totals.set(node.name, (totals.get(node.name) ?? 0) + node.total);
    onPath.add(node.name);
    for (const child of node.children) visit(child, onPath);
    if (first) onPath.delete(node.name);
  };
  for (const child of root.children) visit(child, new Set());
  return [...totals]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, us]) => ({ name, share: root.total > 0 ? us / root.total : 0 }));
}

export interface FlameGraphOptions {
  readonly title: string;
  /** @default 1200 */
  readonly width?: number;
  /** @default 17 */
  readonly rowHeight?: number;
  /** Frames narrower than this many pixels are not drawn (nor what they called): a profile of a whole run has thousands of them. @default 1 */
  readonly minWidthPx?: number;
}

const FONT_PX = 11;
/** Average advance of a sans-serif character at FONT_PX, for cutting labels to their box. */
const CHAR_PX = 6.2;
const HEADER_PX = 36;

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** A stable colour per component: our code stands out, the runtime is muted, packages are warm. */
export function colourOf(component: string): string {
  if (component === 'oleada code') return 'hsl(210, 70%, 62%)';
  if (component === 'GC') return 'hsl(0, 0%, 70%)';
  if (component === 'V8/native (program)' || component.startsWith('native (')) return 'hsl(30, 15%, 68%)';
  if (component.startsWith('node ')) return 'hsl(95, 45%, 60%)';
  let hash = 0;
  for (const c of component) hash = (hash * 31 + c.charCodeAt(0)) >>> 0;
  return `hsl(${(hash % 50) + 5}, ${70 + (hash % 20)}%, ${58 + (hash % 10)}%)`;
}

/** Frames worth naming as widest: our code and packages, not Node's or V8's wrappers around everything. */
export function isOwnOrPackageFrame(node: FlameNode): boolean {
  const c = node.component;
  return !(c.startsWith('node ') || c.startsWith('native (') || c === 'V8/native (program)' || c === 'GC');
}

/**
 * An SVG flame graph of a call tree: the root at the bottom, callers under callees, each frame as
 * wide as its share of the busy time. Every frame carries a `<title>` (shown on hover) with its
 * component, CPU milliseconds and share; labels are cut to fit their box.
 */
export function renderFlameGraph(root: FlameNode, options: FlameGraphOptions): string {
  const width = options.width ?? 1200;
  const rowHeight = options.rowHeight ?? 17;
  const minWidth = options.minWidthPx ?? 1;
  const scale = root.total > 0 ? width / root.total : 0;
  const frames: Array<{ node: FlameNode; x: number; depth: number; w: number }> = [];
  const stack: Array<{ node: FlameNode; x: number; depth: number }> = [{ node: root, x: 0, depth: 0 }];
  let maxDepth = 0;
  while (stack.length > 0) {
    const { node, x, depth } = stack.pop()!;
    const w = node.total * scale;
    if (w < minWidth) continue;
    frames.push({ node, x, depth, w });
    maxDepth = Math.max(maxDepth, depth);
    let childX = x;
    for (const child of node.children) {
      stack.push({ node: child, x: childX, depth: depth + 1 });
      childX += child.total * scale;
    }
  }
  const height = HEADER_PX + (maxDepth + 1) * rowHeight + 4;
  const msText = (us: number) => (us / 1000).toLocaleString('en-US', { maximumFractionDigits: 1 });
  const percentText = (us: number) => (root.total > 0 ? ((us / root.total) * 100).toFixed(1) : '0.0');
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="${FONT_PX}">`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#fdfdfb"/>`,
    `<text x="4" y="16" font-size="14">${escapeXml(options.title)}</text>`,
    `<text x="4" y="30" fill="#555">${escapeXml(`${msText(root.total)} CPU-ms sampled; width = share of it (hover a frame for its figures); blue: Oleada code, green: Node internals, grey: V8, GC and native, warm: packages`)}</text>`,
  ];
  for (const { node, x, depth, w } of frames) {
    const y = height - 4 - (depth + 1) * rowHeight;
    const tip = node === root ? `all: ${msText(node.total)} ms` : `${node.name} (${node.component}): ${msText(node.total)} ms, ${percentText(node.total)} % (self ${msText(node.self)} ms, ${percentText(node.self)} %)`;
    const fill = node === root ? 'hsl(0, 0%, 82%)' : colourOf(node.component);
    const chars = Math.floor((w - 6) / CHAR_PX);
    const label = chars >= 3 ? (node.name.length <= chars ? node.name : `${node.name.slice(0, chars - 2)}..`) : '';
    out.push(
      `<g><title>${escapeXml(tip)}</title><rect x="${x.toFixed(2)}" y="${y}" width="${w.toFixed(2)}" height="${rowHeight - 1}" fill="${fill}" rx="1"/>` +
        (label ? `<text x="${(x + 3).toFixed(2)}" y="${y + rowHeight - 5}">${escapeXml(label)}</text>` : '') +
        '</g>',
    );
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
