#!/usr/bin/env node
// Entry point of the `firebreak` command. TypeScript sources run through tsx's
// loader, so `npm ci` is the whole install. `replay` takes a lighter path.
import { register } from 'tsx/esm/api';

register();
const entry = process.argv[2] === 'replay' ? '../src/cli/replay-main.ts' : '../src/cli/main.ts';
const { main } = await import(entry);
await main(process.argv);
