import {
  EntriesRequest,
  type Entry,
  type EntryKind,
  ExportRequest,
  exportText,
  Ledger,
  SearchRequest,
  TotalsRequest,
} from "@tally/domain/core"
import type { Command } from "effect/cli"
import * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { render } from "../ExitCode.ts"
import { present, run, storageLayer, validate } from "./CommandRun.ts"
import type { entriesFlags, exportEntriesFlags, searchFlags, totalsFlags } from "./HistoryCommands.ts"
import { signed } from "./WriteOutput.ts"

const filtersOf = (flags: {
  readonly kind: Option.Option<EntryKind>
  readonly from: Option.Option<string>
  readonly to: Option.Option<string>
  readonly reference: Option.Option<string>
  readonly member: Option.Option<string>
}) => ({
  ...present("kind", flags.kind),
  ...present("from", flags.from),
  ...present("to", flags.to),
  ...present("reference", flags.reference),
  ...present("member", flags.member),
})

const describeEntry = (entry: Entry) =>
  [
    `#${entry.sequence}`,
    entry.createdAt,
    entry.kind,
    entry.decision,
    signed(entry.amount),
    entry.decision === "Clamped" ? `(requested ${signed(entry.requested)})` : "",
    `balance ${entry.balanceAfter}`,
    entry.holdId === null ? "" : `hold ${entry.holdId}`,
    entry.refundOf === null ? "" : `refund of #${entry.refundOf}`,
    entry.overdrawn ? "overdrawn" : "",
    entry.reason === null ? "" : `reason ${JSON.stringify(entry.reason)}`,
    entry.actor === null ? "" : `by ${entry.actor}`,
    entry.reference === null ? "" : `ref ${entry.reference}`,
    entry.member === undefined ? "" : `member ${entry.member}`,
    entry.idempotencyKey === null ? "" : `key ${entry.idempotencyKey}`,
  ]
    .filter((part) => part !== "")
    .join("  ")

export const entries = (flags: Command.Command.Config.Infer<typeof entriesFlags>) =>
  run(
    flags,
    validate(EntriesRequest)({
      accountId: flags.account,
      ...present("limit", flags.limit),
      ...present("cursor", flags.cursor),
      ...filtersOf(flags),
    }),
    (request) => Ledger.use((ledger) => ledger.entries(request)),
    (page) =>
      [
        ...(page.entries.length === 0 ? [`${flags.account}: no entries`] : page.entries.map(describeEntry)),
        ...(page.nextCursor === null ? [] : [`more: --cursor ${page.nextCursor}`]),
      ].join("\n"),
  )

export const totals = (flags: Command.Command.Config.Infer<typeof totalsFlags>) =>
  run(
    flags,
    validate(TotalsRequest)({
      accountId: flags.account,
      ...present("from", flags.from),
      ...present("to", flags.to),
      ...present("reference", flags.reference),
      ...present("member", flags.member),
      ...(flags.byMember ? { groupBy: "member" as const } : {}),
    }),
    (request) =>
      Ledger.use((ledger) => ledger.totals(request)).pipe(
        // As the HTTP API answers it: a sum can pass what a JSON number carries exactly.
        Effect.map((totals) => ({
          accountId: flags.account,
          totals: totals.map((total) => ({ ...total, amount: String(total.amount) })),
        })),
      ),
    (result) =>
      result.totals.length === 0
        ? `${result.accountId}: no entries`
        : result.totals
            .map(
              (t) =>
                `${t.member === undefined ? "" : `${t.member ?? "(no member)"} `}${t.kind}: ${t.entries} entries, ${signed(BigInt(t.amount))} credits`,
            )
            .join("\n"),
  )

export const search = (flags: Command.Command.Config.Infer<typeof searchFlags>) =>
  run(
    flags,
    validate(SearchRequest)({
      ...present("accountId", flags.account),
      ...present("limit", flags.limit),
      ...present("cursor", flags.cursor),
      ...filtersOf(flags),
    }),
    (request) => Ledger.use((ledger) => ledger.search(request)),
    (page) =>
      [
        ...(page.entries.length === 0
          ? ["no entries"]
          : page.entries.map((entry) => `${entry.accountId}  ${describeEntry(entry)}`)),
        ...(page.nextCursor === null ? [] : [`more: --cursor ${page.nextCursor}`]),
      ].join("\n"),
  )

export const exportEntries = (flags: Command.Command.Config.Infer<typeof exportEntriesFlags>) =>
  validate(ExportRequest)({ ...present("accountId", flags.account), ...filtersOf(flags) }).pipe(
    Effect.flatMap((request) =>
      Ledger.use((ledger) => ledger.exportEntries(request)).pipe(
        Effect.flatMap((entries) =>
          Stream.runForEach(exportText(flags.format, entries), (text) =>
            Effect.callback<void>((resume) => {
              // Waits for stdout to take each chunk, so a slow reader slows the export instead of filling memory.
              process.stdout.write(text, () => resume(Effect.void))
            }),
          ),
        ),
        Effect.provide(storageLayer({ memory: flags.memory, role: "command" })),
      ),
    ),
    Effect.catchCause((cause) => render(cause, false)),
  )
