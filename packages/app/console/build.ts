import * as Path from "node:path"
import * as ConsoleBundle from "../src/ConsoleBundle.ts"

/** `pnpm build`: the console's files into `dist/console/`, where the built service serves them from. */
const dir = Path.join(import.meta.dirname, "../dist/console")
const files = await ConsoleBundle.bundle()
await ConsoleBundle.write(dir, files)
for (const [name, body] of files)
  console.info(`${Path.relative(process.cwd(), Path.join(dir, name))}  ${body.length} bytes`)
