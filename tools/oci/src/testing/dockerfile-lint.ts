/** A Dockerfile instruction with continuation lines joined and comments dropped. */
export interface Instruction {
  readonly keyword: string;
  readonly args: string;
  readonly line: number;
}

export function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    let current = lines[i];
    if (/^\s*(#|$)/.test(current)) continue;
    const start = i + 1;
    while (/\\\s*$/.test(current) && i + 1 < lines.length) {
      current = current.replace(/\\\s*$/, ' ');
      i++;
      if (!/^\s*#/.test(lines[i])) current += lines[i].trim();
    }
    const m = /^\s*([A-Za-z]+)\s*(.*)$/.exec(current);
    if (m) out.push({ keyword: m[1].toUpperCase(), args: m[2].trim(), line: start });
  }
  return out;
}

interface Stage {
  readonly image: string;
  readonly name?: string;
  readonly instructions: Instruction[];
}

const PINNED = /^[^\s@]+:[^\s@/]+@sha256:[a-f0-9]{64}$/;
const SECRET_NAME = /(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|CREDENTIAL|PRIVATE_KEY)/i;
const NPM_INSTALL = /\bnpm\s+(ci|install|i)\b/;

/** The stages of a Dockerfile, their FROM resolved with the ARGs declared before the first one (`buildArgs` win). */
function stages(instructions: Instruction[], buildArgs: Readonly<Record<string, string>>): { args: Map<string, string>; stages: Stage[] } {
  const args = new Map<string, string>();
  const result: Stage[] = [];
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      const words = ins.args.split(/\s+/).filter((w) => !w.startsWith('--'));
      const image = words[0].replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_, name: string) => args.get(name) ?? `\${${name}}`);
      const as = words.findIndex((w) => w.toUpperCase() === 'AS');
      result.push({ image, name: as >= 0 ? words[as + 1] : undefined, instructions: [] });
    } else if (result.length === 0) {
      if (ins.keyword === 'ARG') {
        const [name, value] = ins.args.split('=');
        args.set(name.trim(), buildArgs[name.trim()] ?? (value ?? '').trim());
      }
    } else {
      result[result.length - 1].instructions.push(ins);
    }
  }
  return { args, stages: result };
}

/** The instructions that make the image of `stage`: those of the stages it is built FROM, then its own. */
function imageInstructions(all: readonly Stage[], stage: Stage): Instruction[] {
  const base = all.find((s) => s.name !== undefined && s.name === stage.image && all.indexOf(s) < all.indexOf(stage));
  return [...(base ? imageInstructions(all, base) : []), ...stage.instructions];
}

/** The instructions of the image the Dockerfile makes for `app` (build argument APP): its last stage and the stages under it. */
export function appImage(text: string, app: string): Instruction[] {
  const { stages: all } = stages(parseDockerfile(text), { APP: app });
  const final = all.at(-1);
  return final ? imageInstructions(all, final) : [];
}

/** The names of a Dockerfile's stages, in order. */
export function stageNames(text: string): string[] {
  return stages(parseDockerfile(text), {}).stages.flatMap((s) => (s.name ? [s.name] : []));
}

/**
 * Oleada's rules for the image of `app` (build argument APP); returns the problems found (empty when
 * the Dockerfile passes): multi-stage; every base pinned by tag and digest; production dependencies
 * only in the runtime; a numeric non-root USER; a HEALTHCHECK; no secret-looking ARG/ENV; no secret
 * files copied; the entrypoint runs apps/<app>/dist/main.js.
 */
export function lintDockerfile(text: string, app: string): string[] {
  const problems: string[] = [];
  const { stages: all } = stages(parseDockerfile(text), { APP: app });
  if (all.length < 2) problems.push('not a multi-stage build');
  const names = new Set(all.map((s) => s.name).filter(Boolean));
  for (const stage of all) {
    if (!names.has(stage.image) && !PINNED.test(stage.image)) {
      problems.push(`base image "${stage.image}" is not pinned by tag and digest (name:tag@sha256:…)`);
    }
  }
  const final = all[all.length - 1];
  if (!final) return problems;
  const finalIns = imageInstructions(all, final);

  const users = finalIns.filter((i) => i.keyword === 'USER');
  const user = users[users.length - 1]?.args;
  if (!user) problems.push('runtime stage has no USER');
  else if (!/^[1-9][0-9]*(:[1-9][0-9]*)?$/.test(user)) problems.push(`USER "${user}" is not a numeric non-root uid[:gid]`);

  const health = finalIns.find((i) => i.keyword === 'HEALTHCHECK');
  if (!health || /^NONE\b/i.test(health.args)) problems.push('runtime stage has no HEALTHCHECK');

  if (finalIns.some((i) => i.keyword === 'RUN' && NPM_INSTALL.test(i.args))) problems.push('runtime stage installs packages');
  // The runtime tree is assembled from a stage that installed production dependencies only.
  const assemble = all.flatMap((s) => s.instructions.map((i) => ({ s, i }))).find(({ i }) => /assemble\.mjs/.test(i.args));
  const depsDir = assemble ? /--deps\s+(\S+)/.exec(assemble.i.args)?.[1] : undefined;
  const depsCopy = assemble?.s.instructions.find((i) => i.keyword === 'COPY' && depsDir && i.args.endsWith(` ${depsDir}`));
  const depsStage = all.find((s) => s.name && depsCopy && depsCopy.args.includes(`--from=${s.name} `));
  const prodOnly = depsStage?.instructions.some((i) => i.keyword === 'RUN' && /\bnpm\s+ci\b.*--omit=dev/.test(i.args));
  if (!prodOnly) problems.push('runtime node_modules do not come from an `npm ci --omit=dev` stage');
  const runtimeCopies = finalIns.filter((i) => i.keyword === 'COPY' || i.keyword === 'ADD');
  if (runtimeCopies.some((i) => !/--from=/.test(i.args))) problems.push('runtime stage copies from the build context');

  for (const stage of all) {
    for (const i of stage.instructions) {
      if ((i.keyword === 'ARG' || i.keyword === 'ENV') && SECRET_NAME.test(i.args.split(/[=\s]/)[0])) {
        problems.push(`line ${i.line}: ${i.keyword} ${i.args.split(/[=\s]/)[0]} looks like a secret (use a build secret mount)`);
      }
      if ((i.keyword === 'COPY' || i.keyword === 'ADD') && /(\.env\b|\.npmrc|\.pem\b|id_rsa|htpasswd)/.test(i.args)) {
        problems.push(`line ${i.line}: copies a secret file`);
      }
    }
  }

  const entry = finalIns.filter((i) => i.keyword === 'ENTRYPOINT' || i.keyword === 'CMD').map((i) => i.args).join(' ');
  if (!entry.includes(`apps/${app}/dist/main.js`)) problems.push(`entrypoint does not run apps/${app}/dist/main.js`);
  return problems;
}
