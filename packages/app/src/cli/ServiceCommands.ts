import * as Command from "effect/cli/Command"
import * as Flag from "effect/cli/Flag"
import { runAction } from "./CommandAction.ts"
import { json, memory } from "./CommandFlags.ts"

/** Set when `serve` runs, so a shutdown by signal exits 0. */
export const serving = { value: false }

const actions = () => import("./ServiceActions.ts")

export const auditFlags = { memory, json }

export const audit = Command.make("audit", auditFlags, (flags) =>
  runAction(actions, (action) => action.audit(flags)),
).pipe(Command.withDescription("Recompute every account's running balances and report violations"))

export const migrateFlags = { memory, json }

export const migrate = Command.make("migrate", migrateFlags, (flags) =>
  runAction(actions, (action) => action.migrate(flags)),
).pipe(Command.withDescription("Bring the database schema up to date (every command also does)"))

export const serveFlags = {
  memory,
  port: Flag.Int("port").pipe(
    // 0 asks the system for a free port (the URL printed says which).
    Flag.filter(
      (port) => port >= 0 && port <= 65535,
      (port) => `Expected a port between 0 and 65535, got ${port}`,
    ),
    Flag.withDescription("Port to listen on (default PORT, else 3000; 0 for any free port)"),
    Flag.optional,
  ),
  host: Flag.String("host").pipe(
    Flag.withDescription("Address to listen on (default TALLY_HOST, else 127.0.0.1)"),
    Flag.optional,
  ),
}

export const serve = Command.make("serve", serveFlags, (flags) =>
  runAction(actions, (action) => action.serve(flags)),
).pipe(Command.withDescription("Run the HTTP service (Ctrl-C stops it cleanly)"))
