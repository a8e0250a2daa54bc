import * as Effect from "effect/Effect"
import { decodeCursor, encodeCursor } from "../EntryCursor.ts"
import { InvalidRequest, validateRequest } from "../LedgerError.ts"
import type { LedgerStore } from "../LedgerStore.ts"
import { Limits } from "../Limits.ts"
import type { Run } from "./Run.ts"
import { RunsRequest } from "./RunsRequest.ts"

export interface RunsPage {
  readonly runs: ReadonlyArray<Run>
  readonly nextCursor: string | null
}

/**
 * History by run. A page holds whole runs (a run is never split across pages), newest first by
 * their newest entry; the cursor is the last run's newest sequence, bound to the account and filters
 * like the entries cursor (a `runs` mark keeps one from being taken for the other). A run that gains
 * an entry between two pages moves to the top, where a fresh first page shows it.
 */
export const runsOperations = (store: LedgerStore["Service"]) => ({
  runs: Effect.fn("Ledger.runs")(function* (input: typeof RunsRequest.Encoded) {
    const {
      accountId,
      cursor,
      limit = Limits.runsPageSizeDefault,
      details = Limits.runDetailsDefault,
      ...filter
    } = yield* validateRequest(RunsRequest)(input)
    const scope = { accountId, filter: { ...filter, view: "runs" } }
    const beforeSequence = cursor === undefined ? undefined : decodeCursor(cursor, scope)
    if (beforeSequence instanceof InvalidRequest) return yield* beforeSequence
    const rows = yield* store.runs(accountId, { ...filter, limit: limit + 1, details, beforeSequence })
    const page = rows.slice(0, limit)
    const last = page[page.length - 1]
    return {
      runs: page,
      nextCursor: rows.length > limit && last ? encodeCursor(last.lastSequence, scope) : null,
    } satisfies RunsPage
  }),
})

export type RunsOperations = ReturnType<typeof runsOperations>
