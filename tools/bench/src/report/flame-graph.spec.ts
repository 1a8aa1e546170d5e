import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { summarizeProfile, type CpuProfile } from '../measure/cpu-profile';
import { flameTree, isOwnOrPackageFrame, renderFlameGraph, widestFrames, type FlameNode } from './flame-graph';

/**
 * A real profile: a node process, run with --cpu-prof, that burns CPU in known functions, three
 * times as much through `outerCaller` as through `otherBranch` (measured in CPU time). The
 * profiler weighs samples by wall time, so on a busy machine the proportions drift (8.75 : 1 was
 * seen beside three busy loops): the test checks the tree's structure and which side is wider,
 * never a ratio.
 */
const WORKLOAD = `
function leafSpin(cpuMs) {
  const end = process.cpuUsage().user + cpuMs * 1000;
  let x = 0;
  while (process.cpuUsage().user < end) for (let i = 0; i < 2000; i++) x += Math.sqrt(x + i);
  return x;
}
function outerCaller() { return leafSpin(450); }
function otherBranch() { return leafSpin(150); }
globalThis.sink = outerCaller() + otherBranch();
`;

function find(node: FlameNode, prefix: string): FlameNode | undefined {
  if (node.name.startsWith(prefix)) return node;
  for (const child of node.children) {
    const hit = find(child, prefix);
    if (hit) return hit;
  }
  return undefined;
}

/** Each drawn frame of the SVG: its title text and box. */
function framesOf(svg: string): Array<{ title: string; x: number; y: number; w: number }> {
  return [...svg.matchAll(/<g><title>([^<]*)<\/title><rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)"/g)].map((m) => ({ title: m[1], x: Number(m[2]), y: Number(m[3]), w: Number(m[4]) }));
}

describe('flame graphs from --cpu-prof profiles', () => {
  let dir: string;
  let profile: CpuProfile;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'oleada-flame-'));
    writeFileSync(join(dir, 'workload.js'), WORKLOAD);
    execFileSync(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=250', join(dir, 'workload.js')], { stdio: 'inherit' });
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    assert.ok(file, 'node wrote a .cpuprofile');
    profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it('builds the call tree of the busy samples: callers hold their callees, times add up', () => {
    const root = flameTree(profile);
    assert.equal(root.total / 1000, summarizeProfile(profile).busyMs, 'the root holds every busy sample, as the summary counts them');
    const outer = find(root, 'outerCaller ');
    const other = find(root, 'otherBranch ');
    assert.ok(outer && other, 'both callers are in the tree');
    const leafUnderOuter = outer.children.find((c) => c.name.startsWith('leafSpin '));
    const leafUnderOther = other.children.find((c) => c.name.startsWith('leafSpin '));
    assert.ok(leafUnderOuter && leafUnderOther, 'leafSpin sits under each of its callers, not merged across them');
    assert.match(leafUnderOuter.name, /workload\.js:2$/, 'frames are named by function, file and line');
    assert.equal(leafUnderOuter.component, 'other JS');
    const check = (node: FlameNode): void => {
      assert.equal(node.total, node.self + node.children.reduce((s, c) => s + c.total, 0), `${node.name}: total = self + children`);
      node.children.forEach(check);
    };
    check(root);
    assert.ok(outer.total > other.total, `more of the busy time through outerCaller (three times the work) than through otherBranch: ${outer.total} vs ${other.total}`);
    const leaf = widestFrames(root, 50).find((f) => f.name.startsWith('leafSpin '));
    assert.ok(leaf, 'leafSpin is among the widest frames');
    assert.equal(leaf.share, (leafUnderOuter.total + leafUnderOther.total) / root.total, 'its inclusive time sums both callers');
    const own = widestFrames(root, 3, isOwnOrPackageFrame);
    assert.ok(own.length > 0 && own.every((f) => !f.name.includes('node:')), `the runtime's wrappers are left out: ${own.map((f) => f.name).join(', ')}`);
    assert.match(own[0].name, /^(leafSpin|outerCaller|\(anonymous\)) /);
  });

  it('counts only the samples inside the window', () => {
    const whole = flameTree(profile);
    let at = profile.startTime;
    const times = profile.timeDeltas.map((d) => (at += d));
    const middle = times[Math.floor(times.length / 2)];
    const firstHalf = flameTree(profile, { toUs: middle });
    const secondHalf = flameTree(profile, { fromUs: middle + 1 });
    assert.equal(firstHalf.total + secondHalf.total, whole.total);
    assert.ok(firstHalf.total > 0 && secondHalf.total > 0);
  });

  it('draws each frame above its caller, as wide as its share', () => {
    const root = flameTree(profile);
    const width = 1000;
    const svg = renderFlameGraph(root, { title: 'workload <test> & "quotes"', width, rowHeight: 20 });
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="1000"/);
    assert.match(svg, /workload &lt;test&gt; &amp; &quot;quotes&quot;/, 'text is escaped for XML');
    assert.equal((svg.match(/<g>/g) ?? []).length, (svg.match(/<\/g>/g) ?? []).length);
    const frames = framesOf(svg);
    const all = frames.find((f) => f.title.startsWith('all:'));
    assert.ok(all);
    assert.equal(all.w, width, 'the root spans the graph');
    const outer = frames.find((f) => f.title.startsWith('outerCaller '));
    const leaf = frames.find((f) => f.title.startsWith('leafSpin ') && outer && f.x >= outer.x && f.x < outer.x + outer.w);
    assert.ok(outer && leaf, 'outerCaller and its leafSpin are drawn');
    assert.equal(leaf.y, outer.y - 20, 'a callee sits one row above its caller');
    assert.ok(leaf.x + leaf.w <= outer.x + outer.w + 0.02, 'and within its width');
    const outerNode = find(root, 'outerCaller ')!;
    assert.ok(Math.abs(outer.w - (outerNode.total / root.total) * width) < 0.02, 'width is the share of the busy time');
    assert.match(outer.title, /\(other JS\): [\d.,]+ ms, [\d.]+ % \(self [\d.,]+ ms, [\d.]+ %\)/);
  });

  it('leaves out frames too narrow to see, and what they called', () => {
    const leaf = (name: string, us: number): FlameNode => ({ name, component: 'oleada code', self: us, total: us, children: [] });
    const tiny: FlameNode = { name: 'tiny', component: 'oleada code', self: 0, total: 1, children: [leaf('tinier', 1)] };
    const root: FlameNode = { name: 'all', component: 'all', self: 0, total: 10_001, children: [leaf('big', 10_000), tiny] };
    const titles = framesOf(renderFlameGraph(root, { title: 't', width: 1000, minWidthPx: 0.5 })).map((f) => f.title.split(' ')[0]);
    assert.deepEqual(titles.sort(), ['all:', 'big'].sort());
  });
});
