import {
  AccountId,
  AccountRuns,
  Ledger,
  Limits,
  RunsRequest,
  runCsvHeader,
  runCsvLine,
  validateRequest,
} from "@tally/domain/core"
import type { Command } from "effect/cli"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { render } from "../ExitCode.ts"
import { present, run, storageLayer, validate } from "./CommandRun.ts"
import type { runsFlags } from "./RunsCommands.ts"
import { signed } from "./WriteOutput.ts"

/** As the HTTP API answers: a total is a decimal string, exact past what a JSON number carries. */
const RunsJson = Schema.toCodecJson(AccountRuns)
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

type RunsInput = typeof RunsRequest.Encoded

const everyRunAsCsv = (checked: RunsInput) =>
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
  )

export const runs = (flags: Command.Command.Config.Infer<typeof runsFlags>) => {
  const request = validate(RunsRequest)({
    accountId: flags.account,
    ...present("limit", flags.limit),
    ...present("details", flags.details),
    ...present("cursor", flags.cursor),
    ...present("kind", flags.kind),
    ...present("from", flags.from),
    ...present("to", flags.to),
    ...present("member", flags.member),
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
      everyRunAsCsv(checked).pipe(Effect.provide(storageLayer({ memory: flags.memory, role: "command" }))),
    ),
    Effect.catchCause((cause) => render(cause, false)),
  )
}
