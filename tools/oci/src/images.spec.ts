import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, describe, it } from 'node:test';
import { appImage, lintDockerfile, stageNames } from './testing/dockerfile-lint';

const ROOT = resolve(__dirname, '../../..');
const APPS = ['gateway', 'relay', 'writer', 'consumer'];
const SCRIPT = join(ROOT, 'tools/images/docker-image.sh');
const DOCKERFILE = join(ROOT, 'apps/Dockerfile');
const COMMIT = spawnSync('git', ['-C', ROOT, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).stdout.trim();

const tmp = mkdtempSync(join(tmpdir(), 'oleada-images-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

interface Assembler {
  workspaceClosure(root: string, appDir: string): string[];
  runtimePackages(deps: string, closure: string[]): string[];
  assemble(args: { app: string; deps: string; dist: string; out: string }): { closure: string[]; packages: string[] };
}
const loadAssembler = async (): Promise<Assembler> =>
  (await import(pathToFileURL(join(ROOT, 'tools/images/assemble.mjs')).href)) as Assembler;

describe('apps/Dockerfile (every app image, APP=<app>)', () => {
  const text = existsSync(DOCKERFILE) ? readFileSync(DOCKERFILE, 'utf8') : '';

  for (const app of APPS) {
    it(`the ${app} image passes the image rules`, () => {
      assert.ok(text, `${DOCKERFILE} is missing`);
      assert.deepEqual(lintDockerfile(text, app), []);
    });
  }

  it('has a stage for each app under apps/ and for no other, and ends with APP’s', () => {
    const apps = readdirSync(join(ROOT, 'apps'), { withFileTypes: true }).filter((d) => d.isDirectory() && existsSync(join(ROOT, 'apps', d.name, 'package.json'))).map((d) => d.name);
    assert.deepEqual([...apps].sort(), [...APPS].sort(), 'APPS names every app');
    const shared = ['manifests', 'prod-deps', 'build', 'runtime'];
    assert.deepEqual(stageNames(text).filter((name) => !shared.includes(name)).sort(), [...APPS].sort());
    assert.match(text.trimEnd().split('\n').at(-1) ?? '', /^FROM \$\{APP\}$/);
  });

  it('each image exposes its own ports: the writer its gRPC port too', () => {
    const exposed = (app: string) => appImage(text, app).filter((i) => i.keyword === 'EXPOSE').map((i) => i.args);
    assert.deepEqual(exposed('writer'), ['8080 50051']);
    for (const app of ['gateway', 'relay', 'consumer']) assert.deepEqual(exposed(app), ['8080'], app);
  });

  it('the linter catches what it must (it can fail)', () => {
    const good = readFileSync(DOCKERFILE, 'utf8');
    const cases: [string, string, RegExp][] = [
      ['unpinned base', good.replace(/@sha256:[a-f0-9]{64}/, ''), /not pinned by tag and digest/],
      ['root user', good.replace('USER 65532:65532', 'USER root'), /not a numeric non-root/],
      ['no user', good.replace('USER 65532:65532', ''), /no USER/],
      ['no healthcheck', good.replace(/^HEALTHCHECK .*\\\n.*\n/m, ''), /no HEALTHCHECK/],
      ['dev dependencies', good.replace('npm ci --omit=dev --ignore-scripts', 'npm ci --ignore-scripts'), /--omit=dev/],
      ['secret arg', good.replace('ARG GIT_COMMIT=unknown', 'ARG NPM_TOKEN'), /NPM_TOKEN looks like a secret/],
      ['copies .npmrc', good.replace('COPY . .', 'COPY .npmrc .'), /copies a secret file/],
      ['wrong entrypoint', good.replace(/apps\/gateway\/dist\/main\.js"\]/, 'apps/relay/dist/main.js"]'), /does not run apps\/gateway/],
    ];
    for (const [what, text, expected] of cases) {
      assert.match(lintDockerfile(text, 'gateway').join('\n'), expected, what);
    }
  });

  it('.dockerignore keeps local state and secrets out of the build context', () => {
    const file = join(ROOT, '.dockerignore');
    assert.ok(existsSync(file), '.dockerignore is missing');
    const lines = new Set(readFileSync(file, 'utf8').split('\n').map((l) => l.trim()));
    for (const entry of ['.git', '**/node_modules', '**/dist', '.env', '.env.*', '**/.npmrc', '**/*.pem', '**/*.key', '.cache']) {
      assert.ok(lines.has(entry), `.dockerignore must list ${entry}`);
    }
    for (const needed of ['package.json', 'package-lock.json', 'libs', 'apps', 'tools']) {
      assert.ok(!lines.has(needed), `.dockerignore must not exclude ${needed}`);
    }
  });
});

describe('tools/images/assemble.mjs (the runtime tree of an image)', () => {
  it('follows workspace dependencies: each app gets its libraries and nothing else', async () => {
    const { workspaceClosure } = await loadAssembler();
    const gateway = workspaceClosure(ROOT, 'apps/gateway');
    assert.equal(gateway[0], 'apps/gateway');
    for (const lib of ['libs/shared', 'libs/gateway', 'libs/scenarios', 'libs/contracts']) assert.ok(gateway.includes(lib), lib);
    for (const app of APPS) {
      const closure = workspaceClosure(ROOT, `apps/${app}`);
      assert.ok(!closure.some((d) => d === 'libs/k8s' || d === 'charts' || d.startsWith('tools/')), `${app}: ${closure.join(', ')}`);
      assert.ok(!closure.some((d) => d.startsWith('apps/') && d !== `apps/${app}`), `${app} pulls in another app`);
    }
  });

  it('takes only run-time packages from the installed tree: no compiler, linter, Nx or cdk8s', async () => {
    const { workspaceClosure, runtimePackages } = await loadAssembler();
    const names = (app: string) => runtimePackages(ROOT, workspaceClosure(ROOT, `apps/${app}`)).map((p) => p.replace(/^.*node_modules\//, ''));
    const gateway = names('gateway');
    for (const needed of ['@nestjs/core', 'fastify', 'pino', 'zod', '@grpc/grpc-js']) assert.ok(gateway.includes(needed), needed);
    for (const app of APPS) {
      const packages = names(app);
      for (const dev of ['typescript', 'nx', 'eslint', 'cdk8s', 'cdk8s-plus-33', '@bufbuild/buf', 'ts-proto']) {
        assert.ok(!packages.includes(dev), `${app} image would contain ${dev}`);
      }
    }
    assert.ok(names('writer').includes('kafkajs') && !gateway.includes('kafkajs'), 'only the apps that use Kafka get kafkajs');
  });

  it('lays out the closure and just the packages it needs: no tests, dev tools, unused workspaces or .bin', async () => {
    const { assemble } = await loadAssembler();
    const repo = join(tmp, 'fixture');
    const write = (path: string, text: string) => {
      mkdirSync(join(repo, path, '..'), { recursive: true });
      writeFileSync(join(repo, path), text);
    };
    const pkg = (name: string, deps: Record<string, string> = {}) => JSON.stringify({ name, main: './dist/index.js', dependencies: deps });
    write('package.json', JSON.stringify({ name: 'root', workspaces: ['libs/*', 'apps/*'] }));
    write('apps/api/package.json', pkg('@x/api-app', { '@x/a': '*' }));
    write('apps/api/dist/main.js', "require('@x/a'); require('leftpad');\n");
    write('apps/api/dist/main.spec.js', 'test\n');
    write('libs/a/package.json', pkg('@x/a', { '@x/b': '*', leftpad: '1' }));
    write('libs/a/dist/index.js', "module.exports = require('@x/b');\n");
    write('libs/a/dist/index.d.ts', 'export {};\n');
    write('libs/a/dist/tsconfig.tsbuildinfo', '{}');
    write('libs/b/package.json', pkg('@x/b'));
    write('libs/b/dist/index.js', "module.exports = 'b';\n");
    write('libs/unused/package.json', pkg('@x/unused'));
    write('libs/unused/dist/index.js', '\n');
    write('node_modules/leftpad/package.json', JSON.stringify({ name: 'leftpad', main: 'index.js', dependencies: { padder: '1' } }));
    write('node_modules/leftpad/index.js', "module.exports = require('padder');\n");
    write('node_modules/leftpad/node_modules/padder/package.json', JSON.stringify({ name: 'padder', main: 'index.js' }));
    write('node_modules/leftpad/node_modules/padder/index.js', 'module.exports = 1;\n');
    write('node_modules/devtool/package.json', JSON.stringify({ name: 'devtool' }));
    mkdirSync(join(repo, 'node_modules/@x'), { recursive: true });
    mkdirSync(join(repo, 'node_modules/.bin'), { recursive: true });
    for (const [link, target] of [['api-app', '../../apps/api'], ['a', '../../libs/a'], ['b', '../../libs/b'], ['unused', '../../libs/unused']]) {
      symlinkSync(target, join(repo, 'node_modules/@x', link));
    }
    symlinkSync('../leftpad/index.js', join(repo, 'node_modules/.bin/leftpad'));

    const out = join(tmp, 'out');
    const { closure, packages } = assemble({ app: 'apps/api', deps: repo, dist: repo, out });
    assert.deepEqual(closure, ['apps/api', 'libs/a', 'libs/b']);
    assert.deepEqual(packages, ['node_modules/leftpad', 'node_modules/leftpad/node_modules/padder']);
    assert.ok(!existsSync(join(out, 'node_modules/devtool')), 'no package the app does not need');
    assert.ok(existsSync(join(out, 'apps/api/dist/main.js')));
    assert.ok(!existsSync(join(out, 'apps/api/dist/main.spec.js')), 'no tests');
    assert.ok(!existsSync(join(out, 'libs/a/dist/index.d.ts')), 'no declarations');
    assert.ok(!existsSync(join(out, 'libs/a/dist/tsconfig.tsbuildinfo')), 'no build info');
    assert.ok(!existsSync(join(out, 'libs/unused')), 'no unused workspace');
    assert.throws(() => lstatSync(join(out, 'node_modules/@x/unused')), 'no link to an unused workspace');
    assert.ok(!existsSync(join(out, 'node_modules/.bin')), 'no .bin');
    assert.ok(lstatSync(join(out, 'node_modules/@x/a')).isSymbolicLink(), 'workspace links stay links');
    const run = spawnSync(process.execPath, ['-e', "require('./apps/api/dist/main.js'); console.log(require('@x/a'), require('leftpad'))"], {
      cwd: out,
      encoding: 'utf8',
    });
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout.trim(), 'b 1', 'the app, its libraries and packages load from the assembled tree');
  });

  it('fails when the app was not compiled to dist/main.js', async () => {
    const { assemble } = await loadAssembler();
    rmSync(join(tmp, 'fixture/apps/api/dist/main.js'));
    assert.throws(() => assemble({ app: 'apps/api', deps: join(tmp, 'fixture'), dist: join(tmp, 'fixture'), out: join(tmp, 'out2') }), /dist\/main\.js is missing/);
  });
});

describe('tools/images/docker-image.sh (the docker-build / docker-push targets), up to the engine', () => {
  const dirty = spawnSync('git', ['-C', ROOT, 'status', '--porcelain'], { encoding: 'utf8' }).stdout.trim() !== '';
  const image = (env: Record<string, string>, ...args: string[]) =>
    spawnSync('bash', [SCRIPT, ...args], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', HOME: tmp, ...env },
    });

  it('pushes ${REGISTRY}/oleada/<app>:<tag> with buildx from the repo root (accepts the project root)', () => {
    const run = image({ DRY_RUN: '1', REGISTRY: 'zot.example.com:5000', TAG: 't1' }, 'push', 'apps/gateway');
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(run.stdout.trim().split('\n'), [
      `+ docker buildx build --file apps/Dockerfile --build-arg APP=gateway --tag zot.example.com:5000/oleada/gateway:t1 --build-arg GIT_COMMIT=${COMMIT} --push .`,
      'dry run: would push zot.example.com:5000/oleada/gateway:t1',
    ]);
  });

  it('builds multi-arch images when PLATFORMS is set, logging in with the password on stdin', () => {
    const run = image(
      { DRY_RUN: '1', REGISTRY: 'zot.example.com:5000', TAG: 't2', PLATFORMS: 'linux/amd64,linux/arm64', ZOT_USERNAME: 'ci', ZOT_PASSWORD: 's3cr3t!' },
      'push',
      'relay',
    );
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(run.stdout.trim().split('\n'), [
      '+ docker login zot.example.com:5000 --username ci --password-stdin',
      `+ docker buildx build --file apps/Dockerfile --build-arg APP=relay --tag zot.example.com:5000/oleada/relay:t2 --build-arg GIT_COMMIT=${COMMIT} --platform linux/amd64,linux/arm64 --push .`,
      'dry run: would push zot.example.com:5000/oleada/relay:t2',
    ]);
    assert.ok(!run.stdout.includes('s3cr3t!') && !run.stderr.includes('s3cr3t!'), 'the password is never printed');
  });

  it('pushes over plain HTTP to a loopback registry with REGISTRY_INSECURE=1', () => {
    const run = image({ DRY_RUN: '1', REGISTRY: '127.0.0.1:5000', TAG: 't3', REGISTRY_INSECURE: '1' }, 'push', 'writer');
    assert.equal(run.status, 0, run.stderr);
    assert.equal(
      run.stdout.split('\n')[0],
      `+ docker buildx build --file apps/Dockerfile --build-arg APP=writer --tag 127.0.0.1:5000/oleada/writer:t3 --build-arg GIT_COMMIT=${COMMIT} --output type=image,name=127.0.0.1:5000/oleada/writer:t3,push=true,registry.insecure=true .`,
    );
  });

  it('builds into the local engine with --load, and tags with the git commit by default', () => {
    const run = image({ DRY_RUN: '1' }, 'build', 'consumer');
    assert.equal(run.status, 0, run.stderr);
    const tag = `${COMMIT.slice(0, 12)}${dirty ? '-dirty' : ''}`;
    assert.equal(
      run.stdout.split('\n')[0],
      `+ docker buildx build --file apps/Dockerfile --build-arg APP=consumer --tag oleada/consumer:${tag} --build-arg GIT_COMMIT=${COMMIT} --load .`,
    );
  });

  it('refuses what cannot work, with a reason', () => {
    const noRegistry = image({ DRY_RUN: '1', TAG: 't' }, 'push', 'gateway');
    assert.notEqual(noRegistry.status, 0);
    assert.match(noRegistry.stderr, /REGISTRY is not set/);
    const unknown = image({ DRY_RUN: '1', TAG: 't' }, 'build', 'frontend');
    assert.notEqual(unknown.status, 0);
    assert.match(unknown.stderr, /unknown app "frontend"/);
    const multiLoad = image({ DRY_RUN: '1', TAG: 't', PLATFORMS: 'linux/amd64,linux/arm64' }, 'build', 'gateway');
    assert.notEqual(multiLoad.status, 0);
    assert.match(multiLoad.stderr, /cannot be loaded into the local engine/);
  });

  it('without DRY_RUN, stops at the engine boundary with a clear error when there is no engine', () => {
    const probe = spawnSync('docker', ['info'], { encoding: 'utf8' });
    if (probe.status === 0) return; // an engine is reachable: a real build is out of scope for unit tests
    const run = image({ REGISTRY: '127.0.0.1:5000', TAG: 't' }, 'push', 'gateway');
    assert.notEqual(run.status, 0);
    assert.match(run.stderr, /docker CLI not found|buildx is not available|no Docker engine reachable/);
    assert.equal(run.stdout, '');
  });
});

describe('tools/images/pin-base.sh', () => {
  it('rewrites both base image ARGs with the digests crane resolves', () => {
    const bin = join(tmp, 'crane-bin');
    mkdirSync(bin, { recursive: true });
    // A stand-in for crane: the registries are not reachable from the test machine.
    writeFileSync(
      join(bin, 'crane'),
      '#!/bin/sh\n[ "$1" = digest ] || exit 2\ncase "$2" in\n  *node:24-trixie-slim) echo sha256:' + '1'.repeat(64) + ' ;;\n  *nodejs24-debian13:nonroot) echo sha256:' + '2'.repeat(64) + ' ;;\n  *) exit 3 ;;\nesac\n',
    );
    chmodSync(join(bin, 'crane'), 0o755);
    const copy = join(tmp, 'Dockerfile');
    copyFileSync(DOCKERFILE, copy);
    const before = readFileSync(copy, 'utf8');
    const run = spawnSync('bash', [join(ROOT, 'tools/images/pin-base.sh'), copy], {
      encoding: 'utf8',
      env: { PATH: `${bin}:${process.env.PATH ?? ''}` },
    });
    assert.equal(run.status, 0, run.stderr);
    const after = readFileSync(copy, 'utf8');
    assert.match(after, new RegExp(`^ARG NODE_BUILD_IMAGE=docker\\.io/library/node:24-trixie-slim@sha256:${'1'.repeat(64)}$`, 'm'));
    assert.match(after, new RegExp(`^ARG NODE_RUNTIME_IMAGE=gcr\\.io/distroless/nodejs24-debian13:nonroot@sha256:${'2'.repeat(64)}$`, 'm'));
    const changed = after.split('\n').filter((l, i) => l !== before.split('\n')[i]);
    assert.equal(changed.length, 2, 'only the two ARG lines change');
  });
});
