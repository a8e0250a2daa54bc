import {
  AccountId,
  EntryKind,
  Ledger,
  Limits,
  RunsRequest,
  RunsResponse,
  runCsvHeader,
  runCsvLine,
  validateRequest,
} from "@tally/domain"
import { Effect, Option, Schema } from "effect"
import { Command, Flag } from "effect/cli"
import { render } from "../ExitCode.ts"
import { account, json, memory, present, run, signed, storageLayer, validate } from "./CliSupport.ts"

/** `tally runs`: an account's history by run, a page at a time, or every run as CSV. */

/** As the HTTP API answers: a total is a decimal string, exact past what a JSON number carries. */
const RunsJson = Schema.toCodecJson(RunsResponse)
const encodeRuns = Schema.encodeSync(RunsJson)
const decodeRuns = Schema.decodeUnknownSync(RunsJson)

const describeRuns = (json: Schema.Json) => {
  const page = decodeRuns(json)
  return [
    ...(page.runs.length === 0 ? [`${page.accountId}: no runs`] : []),
    ...page.runs.flatMap((r) => [
      `${r.reference}  ${signed(BigInt(r.total))} credits  ${r.entries} ${r.entries === 1 ? "entry" : "entries"} (${r.kinds
        .map((k) => `${k.kind} ${k.entries}: ${signed(BigInt(k.amount))}`)
        .join(", ")})  ${r.firstAt === r.lastAt ? r.firstAt : `${r.firstAt} .. ${r.lastAt}`}`,
      ...r.details.map((e) => `  #${e.sequence}  ${e.createdAt}  ${e.kind}  ${signed(e.amount)}`),
      ...(r.more
        ? [`  ... ${r.entries - r.details.length} more (tally entries ${page.accountId} --reference ${r.reference})`]
        : []),
    ]),
    ...(page.nextCursor === null ? [] : [`more: --cursor ${page.nextCursor}`]),
  ].join("\n")
}

/** Writes text to stdout once stdout took it, so a slow reader slows the export instead of filling memory. */
const write = (text: string) =>
  Effect.callback<void>((resume) => {
    process.stdout.write(text, () => resume(Effect.void))
  })

export const runs = Command.make(
  "runs",
  {
    account,
    limit: Flag.Int("limit").pipe(Flag.withDescription("Runs per page"), Flag.optional),
    details: Flag.Int("details").pipe(
      Flag.withDescription(`Entries each run shows, newest first (default ${Limits.runDetailsDefault})`),
      Flag.optional,
    ),
    cursor: Flag.String("cursor").pipe(Flag.withDescription("Continue after a page (its nextCursor)"), Flag.optional),
    kind: Flag.Literals("kind", EntryKind.literals).pipe(
      Flag.withDescription("Only entries of this kind"),
      Flag.optional,
    ),
    from: Flag.String("from").pipe(Flag.withDescription("From this time on (ISO-8601, included)"), Flag.optional),
    to: Flag.String("to").pipe(Flag.withDescription("Before this time (ISO-8601, excluded)"), Flag.optional),
    csv: Flag.Boolean("csv").pipe(
      Flag.withDescription("Write every run (from --cursor on) as CSV, one line per run, to stdout"),
      Flag.withDefault(false),
    ),
    memory,
    json,
  },
  (flags) => {
    const request = validate(RunsRequest)({
      accountId: flags.account,
      ...present("limit", flags.limit),
      ...present("details", flags.details),
      ...present("cursor", flags.cursor),
      ...present("kind", flags.kind),
      ...present("from", flags.from),
      ...present("to", flags.to),
    })
    if (!flags.csv) {
      return run(
        flags,
        request,
        (checked) =>
          Effect.flatMap(validateRequest(AccountId)(checked.accountId), (accountId) =>
            Ledger.use((ledger) => ledger.runs(checked)).pipe(Effect.map((page) => encodeRuns({ accountId, ...page }))),
          ),
        describeRuns,
      )
    }
    return request.pipe(
      Effect.flatMap((checked) =>
        Ledger.use((ledger) =>
          Effect.gen(function* () {
            yield* write(runCsvHeader)
            let cursor = Option.fromNullishOr(checked.cursor)
            do {
              const page = yield* ledger.runs({
                ...checked,
                limit: checked.limit ?? Limits.runsPageSizeMax,
                details: 0,
                ...present("cursor", cursor),
              })
              yield* write(page.runs.map(runCsvLine).join(""))
              cursor = Option.fromNullishOr(page.nextCursor)
            } while (Option.isSome(cursor))
          }),
        ).pipe(Effect.provide(storageLayer({ memory: flags.memory, role: "command" }))),
      ),
      Effect.catchCause((cause) => render(cause, false)),
    )
  },
).pipe(Command.withDescription("An account's entries grouped by reference (a run), newest run first"))
