// ts-proto stamps the protoc version it saw ("unknown" under buf); nothing else varies. Kept as a
// hook so the generated tree is byte-for-byte reproducible on every machine.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = 'libs/contracts/src/generated';
for (const name of readdirSync(dir, { recursive: true })) {
  const file = join(dir, String(name));
  if (!file.endsWith('.ts')) continue;
  const text = readFileSync(file, 'utf8').replace(/^\/\/ {3}protoc {15}.*\n/m, '');
  writeFileSync(file, text);
}
