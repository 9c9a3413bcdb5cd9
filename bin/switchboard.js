#!/usr/bin/env node
// The gateway runs its TypeScript sources through tsx (a runtime dependency), so a clone needs
// no build step: `npm install && npm start`.
import { register } from 'tsx/esm/api'

register()
const { main } = await import('./main.ts')
process.exitCode = await main(process.argv.slice(2))
