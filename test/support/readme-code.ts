import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO } from './process.ts';

/** The code of the README block of language `lang` between `<!-- name:start -->` and `<!-- name:end -->`. */
export function readmeCode(name: string, lang: string): string {
  const readme = readFileSync(path.join(REPO, 'README.md'), 'utf8');
  const m = new RegExp(`<!-- ${name}:start -->\\s*\`\`\`${lang}\\n([\\s\\S]*?)\`\`\`\\s*<!-- ${name}:end -->`).exec(readme);
  if (!m) throw new Error(`README has no ${lang} block named ${name}`);
  return m[1]!;
}
