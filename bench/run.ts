/**
 * `npm run bench`: every benchmark in turn, each printing its own figures.
 * Never part of `npm test`. Pass a name to run one: `npm run bench -- ingest`.
 */
const BENCHES: Record<string, string> = {
  replay: './replay-vs-fail2ban.ts',
  ingest: './ingest.ts',
  middleware: './middleware-check.ts',
  'key-cap': './key-cap.ts',
  allowlist: './allowlist-start.ts',
  storm: './attack-storm.ts',
  'python-guard': './python-guard.ts',
  cluster: './cluster.ts',
};

const only = process.argv.slice(2).filter((a) => !a.startsWith('-'));
for (const [name, file] of Object.entries(BENCHES)) {
  if (only.length && !only.includes(name)) continue;
  console.log(`\n=== ${name} (${file})`);
  const mod = (await import(file)) as { main(): Promise<unknown> };
  await mod.main();
}
process.exit(0);
