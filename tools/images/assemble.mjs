#!/usr/bin/env node
// Lays out the runtime tree of one app image (run by apps/Dockerfile in its build stage):
//
//   node tools/images/assemble.mjs --app apps/gateway --deps /prod --dist /repo --out /out
//
//   --deps  a copy of the repository manifests after `npm ci --omit=dev` (production node_modules)
//   --dist  the repository after `tsc -b apps/<app>` (each workspace's dist/)
//   --out   receives, for the app and every workspace package it depends on (transitively, through
//           "dependencies"), package.json and dist/ without tests, declarations or build info; and
//           node_modules/ with just the installed packages those need at run time (followed through
//           dependencies, peer and optional dependencies) plus the workspace links. The image holds
//           nothing the app cannot load: no dev tools, no other app's libraries, no .bin.
//
// Exports workspaceClosure(), runtimePackages() and assemble() for the image tests.
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const DROPPED = /(\.spec\.(js|d\.ts)(\.map)?|\.d\.ts(\.map)?|\.tsbuildinfo)$/;

function readJson(file) {
  return JSON.parse(readFileSync(file, 'utf8'));
}

/** Workspace package name → directory (relative to root), from the root package.json globs. */
export function workspaces(root) {
  const patterns = readJson(join(root, 'package.json')).workspaces ?? [];
  const byName = new Map();
  for (const pattern of Array.isArray(patterns) ? patterns : (patterns.packages ?? [])) {
    const dirs = pattern.endsWith('/*')
      ? (existsSync(join(root, pattern.slice(0, -2)))
          ? readdirSync(join(root, pattern.slice(0, -2)), { withFileTypes: true })
              .filter((d) => d.isDirectory())
              .map((d) => `${pattern.slice(0, -2)}/${d.name}`)
          : [])
      : [pattern];
    for (const dir of dirs) {
      const manifest = join(root, dir, 'package.json');
      if (existsSync(manifest)) byName.set(readJson(manifest).name, dir);
    }
  }
  return byName;
}

/** The app directory and every workspace it depends on through "dependencies", app first. */
export function workspaceClosure(root, appDir) {
  const byName = workspaces(root);
  const seen = new Set();
  const queue = [appDir.replace(/\/$/, '')];
  while (queue.length) {
    const dir = queue.shift();
    if (seen.has(dir)) continue;
    seen.add(dir);
    const deps = readJson(join(root, dir, 'package.json')).dependencies ?? {};
    for (const name of Object.keys(deps)) {
      const target = byName.get(name);
      if (target && !seen.has(target)) queue.push(target);
    }
  }
  return [...seen];
}

/** Where Node would find `name` when required from `fromDir` (walking up to `root`), or undefined. */
function resolvePackage(root, fromDir, name) {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dir === root || dir === dirname(dir)) return undefined;
  }
}

/**
 * The installed packages the closure needs at run time: its dependencies, theirs, and so on
 * (required peers, and optional dependencies when installed; not optional peers), as they sit in the production tree. Workspace packages
 * are not among them: they are laid out from their own directories.
 */
export function runtimePackages(deps, closure) {
  const root = realpathSync(deps);
  const workspaceDirs = new Set(closure.map((dir) => join(root, dir)));
  const needed = new Set();
  const queue = [...workspaceDirs];
  while (queue.length) {
    const pkgDir = queue.shift();
    const manifest = readJson(join(pkgDir, 'package.json'));
    // An optional peer (e.g. @nestjs/core's @nestjs/microservices, and through it kafkajs) is
    // left out even when installed: the package runs without it, and a part of the app that uses
    // it depends on it directly, which brings it in.
    const optionalPeers = new Set(
      Object.entries(manifest.peerDependenciesMeta ?? {})
        .filter(([, m]) => m?.optional)
        .map(([n]) => n),
    );
    const optional = new Set([...Object.keys(manifest.optionalDependencies ?? {}), ...optionalPeers]);
    const names = new Set([
      ...Object.keys(manifest.dependencies ?? {}),
      ...Object.keys(manifest.optionalDependencies ?? {}),
      ...Object.keys(manifest.peerDependencies ?? {}).filter((name) => !optionalPeers.has(name) || manifest.dependencies?.[name]),
    ]);
    for (const name of names) {
      const found = resolvePackage(root, pkgDir, name);
      if (!found) {
        if (optional.has(name) || manifest.peerDependencies?.[name]) continue;
        throw new Error(`${relative(root, pkgDir) || '.'} needs ${name}, which is not installed in ${deps}`);
      }
      const real = realpathSync(found);
      if (workspaceDirs.has(real) || needed.has(found)) continue;
      if (!real.split(sep).includes('node_modules')) {
        throw new Error(`${name} resolves to workspace ${relative(root, real)}, which is not a dependency of the app`);
      }
      needed.add(found);
      queue.push(found);
    }
  }
  return [...needed].map((dir) => relative(root, dir)).sort();
}

export function assemble({ app, deps, dist, out }) {
  const closure = workspaceClosure(deps, app);
  if (!existsSync(join(deps, 'node_modules'))) throw new Error(`${join(deps, 'node_modules')} is missing: run npm ci --omit=dev in ${deps} first`);
  const packages = runtimePackages(deps, closure);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });

  // Each package without its nested node_modules: the nested ones it needs are in the list too.
  for (const pkg of packages) {
    const from = join(deps, pkg);
    cpSync(from, join(out, pkg), {
      recursive: true,
      verbatimSymlinks: true,
      filter: (src) => !relative(from, src).split(sep).includes('node_modules'),
    });
  }

  const byDir = new Map([...workspaces(deps)].map(([name, dir]) => [dir, name]));
  for (const dir of closure) {
    const built = join(dist, dir, 'dist');
    if (!existsSync(built)) throw new Error(`${built} is missing: run npm run build first`);
    mkdirSync(join(out, dir), { recursive: true });
    cpSync(join(deps, dir, 'package.json'), join(out, dir, 'package.json'));
    cpSync(built, join(out, dir, 'dist'), { recursive: true, filter: (src) => !DROPPED.test(src) });
    // The link npm makes for a workspace (node_modules/@scope/name → ../../libs/name).
    const link = join(out, 'node_modules', byDir.get(dir));
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(relative(dirname(link), join(out, dir)), link);
  }

  const entry = join(out, app, 'dist', 'main.js');
  if (!existsSync(entry)) throw new Error(`${relative(out, entry)} is missing: the app must compile to dist/main.js`);
  return { closure, packages };
}

function parseArgs(argv) {
  const args = {};
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i]?.replace(/^--/, '');
    if (!['app', 'deps', 'dist', 'out'].includes(key) || argv[i + 1] === undefined) {
      throw new Error('usage: assemble.mjs --app apps/<app> --deps <dir> --dist <dir> --out <dir>');
    }
    args[key] = argv[i + 1];
  }
  for (const key of ['app', 'deps', 'dist', 'out']) if (!args[key]) throw new Error(`missing --${key}`);
  return args;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const args = parseArgs(process.argv.slice(2));
    const { closure, packages } = assemble(args);
    console.log(`assembled ${args.app} into ${args.out}: ${closure.join(', ')} and ${packages.length} packages`);
  } catch (err) {
    console.error(`assemble: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}
