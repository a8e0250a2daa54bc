import { type Entry, Ledger, type LedgerStore } from "@tally/domain"
import { Deferred, Effect, Fiber, Layer, ManagedRuntime, Stream } from "effect"
import { SqlClient } from "effect/sql"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { createDatabase, pgStore, pool } from "./support/TestDatabase.ts"

/**
 * The PostgreSQL export reads a page of 1,000 entries at a time, each page a statement of its own.
 * Its pages must add up to what one statement over the whole table reads: every entry once, in order,
 * here across page boundaries that fall inside runs of entries sharing one timestamp (a batch's, or a
 * statement's `now()`). And a reader that stops reading must hold no connection: on a pool of one,
 * a balance read is answered while an export waits for its reader.
 */

const bigEntries = 2_500
const otherEntries = 1_200

type Runtime = ManagedRuntime.ManagedRuntime<Ledger | LedgerStore | SqlClient.SqlClient, unknown>

let runtime: Runtime

/** An account's entries written directly, top-ups of 1 sharing one `now()`, every third with a reference. */
const written = (sql: SqlClient.SqlClient, accountId: string, entries: number) => sql`
  WITH written AS (
    INSERT INTO entries (account_id, sequence, kind, decision, requested, amount, balance_after, reference, created_at)
    SELECT ${accountId}, n, 'top-up', 'Applied', 1, 1, n, CASE WHEN n % 3 = 0 THEN 'third' END, now()
    FROM generate_series(1, ${entries}) AS n
  )
  INSERT INTO accounts (account_id, balance, last_sequence) VALUES (${accountId}, ${entries}, ${entries})`

beforeAll(async () => {
  const url = await createDatabase()
  runtime = ManagedRuntime.make(
    Ledger.layer.pipe(Layer.provideMerge(pgStore(url, 1)), Layer.provideMerge(pool(url, 1))),
  )
  await runtime.runPromise(
    Effect.flatMap(SqlClient.SqlClient, (sql) =>
      Effect.andThen(written(sql, "big", bigEntries), written(sql, "other", otherEntries)),
    ),
  )
})

afterAll(() => runtime?.dispose())

const exported = (query: Parameters<Ledger["Service"]["exportEntries"]>[0]) =>
  runtime.runPromise(
    Effect.flatMap(Ledger, (l) => Effect.flatMap(l.exportEntries(query), (entries) => Stream.runCollect(entries))),
  )

/** Where an entry sits, as the export's order compares it. */
const position = ({ createdAt, accountId, sequence }: Entry) => `${createdAt} ${accountId} ${sequence}`

describe("the PostgreSQL export, a page at a time", () => {
  test("the whole ledger: every entry once, in time, account and sequence order", async () => {
    const entries = await exported({})
    expect(entries).toHaveLength(bigEntries + otherEntries)
    expect(new Set(entries.map(position)).size).toBe(entries.length)
    const sorted = [...entries].sort(
      (a, b) =>
        Date.parse(a.createdAt) - Date.parse(b.createdAt) ||
        (a.accountId < b.accountId ? -1 : a.accountId > b.accountId ? 1 : 0) ||
        a.sequence - b.sequence,
    )
    expect(entries.map(position)).toEqual(sorted.map(position))
  })

  test("one account: its entries in sequence order", async () => {
    const entries = await exported({ accountId: "big" as never })
    expect(entries.map((entry) => entry.sequence)).toEqual(Array.from({ length: bigEntries }, (_, i) => i + 1))
  })

  test("a filter: the matching entries of every page", async () => {
    const ledger = await exported({ reference: "third" })
    expect(ledger).toHaveLength(Math.floor(bigEntries / 3) + Math.floor(otherEntries / 3))
    const ofAccount = await exported({ accountId: "big" as never, reference: "third" })
    expect(ofAccount.map((entry) => entry.sequence)).toEqual(
      Array.from({ length: Math.floor(bigEntries / 3) }, (_, i) => 3 * (i + 1)),
    )
  })

  test("an export waiting for its reader holds no connection: a pool of one still answers", async () => {
    const balance = await runtime.runPromise(
      Effect.gen(function* () {
        const ledger = yield* Ledger
        const firstRead = yield* Deferred.make<void>()
        const readerResumes = yield* Deferred.make<void>()
        const reader = yield* Effect.forkChild(
          Stream.runForEach(yield* ledger.exportEntries({}), () =>
            Effect.andThen(Deferred.succeed(firstRead, undefined), Deferred.await(readerResumes)),
          ),
        )
        yield* Deferred.await(firstRead)
        const balance = yield* ledger.balance("other" as never).pipe(Effect.timeout("10 seconds"))
        yield* Deferred.succeed(readerResumes, undefined)
        yield* Fiber.join(reader)
        return balance
      }),
    )
    expect(balance).toBe(otherEntries)
  })
})
