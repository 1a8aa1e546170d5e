import { imageTag } from '@oleada/k8s';

/** Shell text with its `\`-continued lines joined, so one command is one line. */
export function joinContinuations(text: string): string[] {
  return text.replace(/\\\n\s*/g, ' ').split('\n');
}

/** The commands of a script or of a guide's code blocks (comments dropped), one per line. */
export function commandLines(text: string, markdown: boolean): string[] {
  const code = markdown ? [...text.matchAll(/```[a-z]*\n([\s\S]*?)```/g)].map((m) => m[1]).join('\n') : text;
  return joinContinuations(code)
    .map((line) => line.replace(/(^|\s)#.*$/, '').trim())
    .filter((line) => line.length > 0);
}

/**
 * What in these command lines installs something unpinned: a Helm install, upgrade, template or pull
 * without `--version`, a `latest` release download, an image without a tag or digest or tagged
 * `latest`, or a shell default of `latest`.
 */
export function unpinnedCommands(lines: readonly string[]): string[] {
  const problems: string[] = [];
  for (const line of lines) {
    if (/\bhelm\s+(upgrade\b.*--install|install|template|pull)\b/.test(line) && !/--version[ =]+\S/.test(line)) {
      problems.push(`helm without --version: ${line}`);
    }
    if (/releases\/latest|\/latest\/download/.test(line)) problems.push(`a latest release: ${line}`);
    if (/:-latest\}|=latest\b|--version[ =]+latest\b/.test(line)) problems.push(`defaults to latest: ${line}`);
    if (/[\w.-]:latest\b|@latest\b/.test(line)) problems.push(`latest: ${line}`);
    for (const image of line.match(/\bdocker:\/\/[^\s"']+/g) ?? []) {
      problems.push(...unpinnedImages([image.slice('docker://'.length)]).map((p) => `${p} in: ${line}`));
    }
  }
  return problems;
}

/** Images without a tag or digest, or tagged `latest`. */
export function unpinnedImages(images: readonly string[]): string[] {
  return images.flatMap((image) => {
    const digest = /@sha256:[0-9a-f]{64}$/.test(image);
    const tag = imageTag(image);
    if (tag === 'latest') return [`image ${image} is tagged latest`];
    if (!tag && !digest) return [`image ${image} has neither tag nor digest`];
    return [];
  });
}

/** Grafana plugins not pinned as `id@version` (what the chart passes to `GF_PLUGINS_PREINSTALL_SYNC`). */
export function unpinnedPlugins(plugins: readonly string[]): string[] {
  return plugins.filter((p) => !/^[a-z0-9-]+@\d+\.\d+\.\d+$/.test(p)).map((p) => `plugin ${p} has no exact version`);
}
