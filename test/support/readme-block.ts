import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO, BIN } from './process.ts';

/** A fenced bash block of the README between `<!-- name:start -->` and `<!-- name:end -->`. */
export function readmeBlock(name: string): string {
  const readme = readFileSync(path.join(REPO, 'README.md'), 'utf8');
  const m = new RegExp(`<!-- ${name}:start -->\\s*\`\`\`bash\\n([\\s\\S]*?)\`\`\`\\s*<!-- ${name}:end -->`).exec(readme);
  if (!m) throw new Error(`README has no ${name} block`);
  return m[1]!;
}

/** The block as a bash script in which `npx firebreak` runs this repository's binary. */
export function readmeScript(name: string): string {
  return (
    `npx() { if [ "$1" = firebreak ]; then shift; node ${JSON.stringify(BIN)} "$@"; else command npx "$@"; fi; }\n` + readmeBlock(name)
  );
}
