// Import circles between files (relative imports, type-only ones included) in apps/, libs/, tools/
// and charts/: prints each and exits 1 when there is one. Part of `npm run lint` (issue #25: shared
// types go in a file of their own instead of two files importing each other).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, normalize } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
const ts = createRequire(join(root, 'package.json'))('typescript');

const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '--', 'apps', 'libs', 'tools', 'charts'], { cwd: root, encoding: 'utf8' })
  .split('\n')
  .filter((file) => file.endsWith('.ts') && !/\/(dist|node_modules)\//.test(file) && existsSync(join(root, file)));
const known = new Set(files);

/** The files each file imports or re-exports from, by relative path. */
const imports = new Map();
for (const file of files) {
  const source = ts.createSourceFile(file, readFileSync(join(root, file), 'utf8'), ts.ScriptTarget.Latest, false);
  const targets = [];
  for (const statement of source.statements) {
    const specifier = (ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement)) && statement.moduleSpecifier && ts.isStringLiteral(statement.moduleSpecifier) ? statement.moduleSpecifier.text : undefined;
    if (!specifier?.startsWith('.')) continue;
    const base = normalize(join(dirname(file), specifier));
    const target = [`${base}.ts`, join(base, 'index.ts'), base.replace(/\.js$/, '.ts')].find((candidate) => known.has(candidate));
    if (target) targets.push(target);
  }
  imports.set(file, targets);
}

// Tarjan's strongly connected components: every component of more than one file is a circle.
const circles = [];
const order = new Map();
const low = new Map();
const stack = [];
const onStack = new Set();
let next = 0;
function visit(file) {
  order.set(file, next);
  low.set(file, next++);
  stack.push(file);
  onStack.add(file);
  for (const target of imports.get(file)) {
    if (!order.has(target)) {
      visit(target);
      low.set(file, Math.min(low.get(file), low.get(target)));
    } else if (onStack.has(target)) low.set(file, Math.min(low.get(file), order.get(target)));
  }
  if (low.get(file) !== order.get(file)) return;
  const component = [];
  let member;
  do {
    member = stack.pop();
    onStack.delete(member);
    component.push(member);
  } while (member !== file);
  if (component.length > 1 || imports.get(file).includes(file)) circles.push(component.sort());
}
for (const file of files) if (!order.has(file)) visit(file);

if (circles.length > 0) {
  console.error(`import circles between files: ${circles.length} (put what both sides share in a file of its own)`);
  for (const circle of circles) console.error(`  ${circle.join(' <-> ')}`);
  process.exit(1);
}
console.log(`import circles between files: 0 (${files.length} files)`);
