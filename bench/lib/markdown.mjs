// Markdown written by the benchmarks goes through the repository's Prettier style (CI runs
// `prettier --check .`), if Prettier is installed.
import path from 'node:path';
import { REPO_ROOT } from './demo.mjs';

export async function prettierMarkdown(text, file = path.join(REPO_ROOT, 'docs/benchmarks.md')) {
  try {
    const prettier = await import('prettier');
    const options = (await prettier.resolveConfig(file)) ?? {};
    return await prettier.format(text, { ...options, filepath: file });
  } catch {
    return text;
  }
}
