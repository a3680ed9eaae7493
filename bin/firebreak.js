#!/usr/bin/env node
// Entry point of the `firebreak` command. TypeScript sources run through tsx's
// loader, so `npm ci` is the whole install.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
await main(process.argv);
