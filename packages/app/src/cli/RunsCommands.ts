import * as Command from "effect/cli/Command"
import * as Flag from "effect/cli/Flag"
import { runAction } from "./CommandAction.ts"
import { account, historyFilters, json, memory } from "./CommandFlags.ts"

/** `tally runs`: an account's history by run, a page at a time, or every run as CSV. */

const actions = () => import("./RunsActions.ts")

export const runsFlags = {
  account,
  limit: Flag.Int("limit").pipe(Flag.withDescription("Runs per page"), Flag.optional),
  details: Flag.Int("details").pipe(Flag.withDescription("Entries each run shows, newest first"), Flag.optional),
  cursor: Flag.String("cursor").pipe(Flag.withDescription("Continue after a page (its nextCursor)"), Flag.optional),
  kind: historyFilters.kind.pipe(Flag.withDescription("Only entries of this kind")),
  from: historyFilters.from,
  to: historyFilters.to,
  member: historyFilters.member,
  csv: Flag.Boolean("csv").pipe(
    Flag.withDescription("Write every run (from --cursor on) as CSV, one line per run, to stdout"),
    Flag.withDefault(false),
  ),
  memory,
  json,
}

export const runs = Command.make("runs", runsFlags, (flags) => runAction(actions, (action) => action.runs(flags))).pipe(
  Command.withDescription("An account's entries grouped by reference (a run), newest run first"),
)
