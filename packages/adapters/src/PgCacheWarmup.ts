import * as Effect from "effect/Effect"
import type { SqlClient } from "effect/sql"
import type { AccountCache } from "./AccountCache.ts"
import { type AccountRow, accountColumns, knownOf } from "./PgRows.ts"

/** Accounts one read of the warm-up takes: a short statement (a few milliseconds), the first one awaited (`startWaitMs`). */
const pageSize = 1_000

/** How long the store's start waits for the first page at most: a silent database delays it no longer. */
export const startWaitMs = 1_000

/** How long the warm-up goes on reading, beside the writes, after its first page. */
export const budgetMs = 5_000

/**
 * Fills `cache` at start with up to `capacity` accounts as they stand, in pages by id, so that a
 * write on an account that existed before this process started is one compare-and-swap statement
 * like any other (a cold account is decided as new, misses, and is written by a second one). The
 * store's start waits for the first page only (a ledger of up to a thousand accounts is then warm
 * before its first write); the rest is read beside the writes, within `budgetMs`, so a ledger of a
 * million accounts is read in part and never waited for. An account a write of this process cached
 * meanwhile is left as that write left it. Failures end the warm-up: the cache is a hint, and every
 * write checks the version it was decided on.
 */
export const warm = (sql: SqlClient.SqlClient, cache: AccountCache, capacity: number) => {
  /** Reads the page after `after`; the id to read after next, or undefined once done. */
  const page = (after: string, read: number) =>
    Effect.gen(function* () {
      const limit = Math.min(pageSize, capacity - read)
      if (limit <= 0) return undefined
      const rows = yield* sql<AccountRow>`
        SELECT ${sql.literal(accountColumns)} FROM accounts WHERE account_id > ${after}
        ORDER BY account_id LIMIT ${limit}`
      for (const row of rows) if (cache.get(row.account_id) === undefined) cache.set(row.account_id, knownOf(row))
      return rows.length < limit ? undefined : rows[rows.length - 1]!.account_id
    })

  const stopped = Effect.catchCause((cause) => Effect.logDebug("the account cache's warm-up stopped", cause))

  const rest = (after: string) =>
    Effect.gen(function* () {
      let next: string | undefined = after
      for (let read = pageSize; next !== undefined; read += pageSize) next = yield* page(next, read)
    }).pipe(Effect.timeout(budgetMs), stopped)

  return Effect.gen(function* () {
    const next = yield* page("", 0).pipe(Effect.timeout(startWaitMs))
    if (next !== undefined) yield* Effect.forkScoped(rest(next))
  }).pipe(stopped)
}
