#!/usr/bin/env node
// The gateway runs its TypeScript sources through tsx (a runtime dependency), so a clone needs
// no build step: `npm install && npm start`.
import { fileURLToPath } from 'node:url'
import { register } from 'tsx/esm/api'

// tsx looks for tsconfig.json in the working directory; the gateway's own (decorators on) must
// apply wherever the operator runs the command from.
register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) })
const { main } = await import('./main.ts')
process.exitCode = await main(process.argv.slice(2))
