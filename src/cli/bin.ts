#!/usr/bin/env node
/**
 * The installed `ditto-blockstore` command (package.json `bin`). It always runs the CLI,
 * however it was reached: through `node_modules/.bin` or a global link, `npx`, `npm exec`
 * or a Windows shim, none of which leave a predictable path in `process.argv[1]`.
 */
import { main } from './main.js'

process.exitCode = await main(process.argv.slice(2))
