import * as Path from "node:path"
import * as BinBundle from "./BinBundle.ts"

/** `pnpm build`, after `tsc`: the `tally` bin bundled into `dist/main.js` (see BinBundle.ts). */
const dist = Path.join(import.meta.dirname, "../dist")
const result = await BinBundle.build(dist)
for (const warning of result.warnings) console.warn(warning.text)
console.info(`${Path.relative(process.cwd(), Path.join(dist, "main.js"))}  bundled`)
