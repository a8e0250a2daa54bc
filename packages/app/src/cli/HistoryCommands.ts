import * as Command from "effect/cli/Command"
import * as Flag from "effect/cli/Flag"
import { exportFormats } from "../DomainChoices.ts"
import { runAction } from "./CommandAction.ts"
import { account, historyFilters, json, memory, reference } from "./CommandFlags.ts"

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
  runAction(actions, (action) => action.entries(flags)),
).pipe(Command.withDescription("List an account's entries, newest first"))

export const totalsFlags = {
  account,
  from: historyFilters.from,
  to: historyFilters.to,
  reference,
  member: historyFilters.member,
  byMember: Flag.Boolean("by-member").pipe(
    Flag.withDescription("A total per member of the wallet and kind"),
    Flag.withDefault(false),
  ),
  memory,
  json,
}

export const totals = Command.make("totals", totalsFlags, (flags) =>
  runAction(actions, (action) => action.totals(flags)),
).pipe(Command.withDescription("Count and sum an account's entries per kind (--by-member: per member and kind)"))

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
  runAction(actions, (action) => action.search(flags)),
).pipe(Command.withDescription("Entries across accounts, newest first (for operators)"))

export const exportEntriesFlags = {
  format: Flag.Literals("format", exportFormats).pipe(Flag.withDefault("csv" as const)),
  account: accountFilter,
  ...historyFilters,
  memory,
}

export const exportEntries = Command.make("export", exportEntriesFlags, (flags) =>
  runAction(actions, (action) => action.exportEntries(flags)),
).pipe(Command.withDescription("Write every matching entry, oldest first, as CSV or NDJSON to stdout"))
