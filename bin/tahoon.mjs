#!/usr/bin/env node
// The operator's command line. It runs the TypeScript sources directly, so a fresh checkout
// needs no build step before `tahoon serve`.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../packages/api/src/node/cli.ts');
await main(process.argv.slice(2));
