import { ExportFormat } from "@tally/domain"
import { Effect } from "effect"
import { Command, Flag } from "effect/cli"
import { account, historyFilters, json, memory, reference } from "./CommandFlags.ts"

/** What the commands do, loaded when one runs, so parsing the command line loads none of it. */
const actions = () => import("./HistoryActions.ts")

export const entriesFlags = {
  account,
  limit: Flag.Int("limit").pipe(Flag.withDescription("Entries per page"), Flag.optional),
  cursor: Flag.String("cursor").pipe(Flag.withDescription("Continue after a page (its nextCursor)"), Flag.optional),
  ...historyFilters,
  memory,
  json,
}

export const entries = Command.make("entries", entriesFlags, (flags) =>
  Effect.flatMap(Effect.promise(actions), (action) => action.entries(flags)),
).pipe(Command.withDescription("List an account's entries, newest first"))

export const totalsFlags = { account, from: historyFilters.from, to: historyFilters.to, reference, memory, json }

export const totals = Command.make("totals", totalsFlags, (flags) =>
  Effect.flatMap(Effect.promise(actions), (action) => action.totals(flags)),
).pipe(Command.withDescription("Count and sum an account's entries per kind"))

const accountFilter = Flag.String("account").pipe(Flag.withDescription("Only this account"), Flag.optional)

export const searchFlags = {
  account: accountFilter,
  limit: Flag.Int("limit").pipe(Flag.withDescription("Entries per page"), Flag.optional),
  cursor: Flag.String("cursor").pipe(Flag.withDescription("Continue after a page (its nextCursor)"), Flag.optional),
  ...historyFilters,
  memory,
  json,
}

export const search = Command.make("search", searchFlags, (flags) =>
  Effect.flatMap(Effect.promise(actions), (action) => action.search(flags)),
).pipe(Command.withDescription("Entries across accounts, newest first (for operators)"))

export const exportEntriesFlags = {
  format: Flag.Literals("format", ExportFormat.literals).pipe(Flag.withDefault("csv" as const)),
  account: accountFilter,
  ...historyFilters,
  memory,
}

export const exportEntries = Command.make("export", exportEntriesFlags, (flags) =>
  Effect.flatMap(Effect.promise(actions), (action) => action.exportEntries(flags)),
).pipe(Command.withDescription("Write every matching entry, oldest first, as CSV or NDJSON to stdout"))
