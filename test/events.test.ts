import { PgEvents } from "@tally/adapters"
import { AccountEvents, accountId, balance, type LedgerEvent, threshold } from "@tally/domain"
import { Deferred, Effect, Fiber, Random } from "effect"
import { SqlClient } from "effect/sql"
import { beforeAll, describe, expect, test } from "vitest"
import { createDatabase, pool } from "./support/TestDatabase.ts"

/**
 * The event feed on a real PostgreSQL, where transactions take event ids in one order and commit in
 * another: a reader paging with the last id it read must still see every event exactly once.
 */

let url: string
beforeAll(async () => {
  url = await createDatabase("read committed")
})

const event = (n: number) =>
  AccountEvents.balanceLow(accountId(`late-${n}`), new Date(1_700_000_000_000 + n).toISOString(), {
    threshold: threshold(100),
    availableBefore: balance(100),
    availableAfter: balance(99),
    entrySequence: n,
    holdId: null,
  })

const sqlOf = SqlClient.SqlClient

const append = (n: number) =>
  Effect.flatMap(sqlOf, (sql) => PgEvents.append(sql, [{ event: event(n), operationId: crypto.randomUUID() }]))

/** The transaction gets its id now, as a write path's transaction does when it locks an account. */
const takeTransactionId = Effect.flatMap(sqlOf, (sql) => sql`SELECT pg_current_xact_id()::text`)

const read = (after: number) =>
  Effect.flatMap(sqlOf, (sql) => PgEvents.read(sql, after, 100)).pipe(Effect.provide(pool(url, 1)))

/** Reads the feed to its current end, from `after`. */
const drain = (after: number) =>
  Effect.gen(function* () {
    const seen: Array<LedgerEvent> = []
    let position = after
    while (true) {
      const page = yield* read(position)
      if (page === undefined) throw new Error(`cursor ${position} unknown`)
      if (page.length === 0) return { seen, position }
      seen.push(...page)
      position = page[page.length - 1]!.id
    }
  })

/**
 * Follows the feed from `after` until `wanted` has appeared. The feed shows a transaction's events
 * once every older transaction on the server has ended (in any database: the other test files keep
 * it busy), so a reader may have to look again.
 */
const follow = (after: number, wanted: ReadonlyArray<LedgerEvent>) =>
  Effect.gen(function* () {
    const seen: Array<LedgerEvent> = []
    let position = after
    const deadline = Date.now() + 30_000
    while (!wanted.every((w) => seen.some((e) => e.id === w.id)) && Date.now() < deadline) {
      const page = yield* drain(position)
      seen.push(...page.seen)
      position = page.position
      if (page.seen.length === 0) yield* Effect.sleep(20)
    }
    return { seen, position }
  })

describe("the event feed in PostgreSQL", () => {
  test("an event whose transaction took a lower id but committed later is read after, never skipped", async () => {
    const { first, second, older, younger } = await Effect.runPromise(
      Effect.gen(function* () {
        const start = (yield* drain(0)).position
        const olderStarted = yield* Deferred.make<void>()
        const youngerAppended = yield* Deferred.make<void>()
        const commitYounger = yield* Deferred.make<void>()
        // The older transaction gets its transaction id first, its event id last, and commits first.
        const olderFiber = yield* Effect.forkChild(
          Effect.flatMap(sqlOf, (sql) =>
            Effect.gen(function* () {
              yield* takeTransactionId
              yield* Deferred.succeed(olderStarted, undefined)
              yield* Deferred.await(youngerAppended)
              return (yield* append(1))[0]!
            }).pipe(sql.withTransaction),
          ).pipe(Effect.provide(pool(url, 1))),
        )
        // The younger one takes the lower event id and commits last.
        const youngerFiber = yield* Effect.forkChild(
          Effect.flatMap(sqlOf, (sql) =>
            Effect.gen(function* () {
              yield* Deferred.await(olderStarted)
              yield* takeTransactionId
              const [appended] = yield* append(2)
              yield* Deferred.succeed(youngerAppended, undefined)
              yield* Deferred.await(commitYounger)
              return appended!
            }).pipe(sql.withTransaction),
          ).pipe(Effect.provide(pool(url, 1))),
        )
        const older = yield* Fiber.join(olderFiber)
        const first = yield* follow(start, [older])
        yield* Deferred.succeed(commitYounger, undefined)
        const younger = yield* Fiber.join(youngerFiber)
        const second = yield* follow(first.position, [younger])
        return { first: first.seen, second: second.seen, older, younger }
      }),
    )
    // The trap: the younger transaction holds the lower id and is still running when the older commits.
    expect(younger.id).toBeLessThan(older.id)
    // A reader that moved past the older event still gets the younger one once it commits.
    expect(first.map((e) => e.id)).toEqual([older.id])
    expect(second.map((e) => e.id)).toEqual([younger.id])
  })

  test("concurrent writers committing in any order: a reader following the feed sees every event once", async () => {
    const writers = 8
    const transactionsPerWriter = 12
    const { appended, seen } = await Effect.runPromise(
      Effect.gen(function* () {
        const start = (yield* drain(0)).position
        const writing = yield* Effect.forkChild(
          Effect.all(
            Array.from({ length: writers }, (_, w) =>
              Effect.flatMap(sqlOf, (sql) =>
                Effect.forEach(
                  Array.from({ length: transactionsPerWriter }, (_, t) => w * 1000 + t),
                  (n) =>
                    Effect.gen(function* () {
                      yield* Effect.sleep(yield* Random.nextIntBetween(0, 3))
                      const events = yield* append(n)
                      yield* Effect.sleep(yield* Random.nextIntBetween(0, 5))
                      return events
                    }).pipe(sql.withTransaction),
                ),
              ).pipe(Effect.provide(pool(url, 1))),
            ),
            { concurrency: "unbounded" },
          ),
        )
        const seen: Array<LedgerEvent> = []
        let position = start
        while (true) {
          const done = writing.pollUnsafe() !== undefined
          const page = yield* drain(position)
          seen.push(...page.seen)
          position = page.position
          if (done) break
          yield* Effect.sleep(2)
        }
        const appended = (yield* Fiber.join(writing)).flat(2)
        seen.push(
          ...(yield* follow(
            position,
            appended.filter((a) => !seen.some((e) => e.id === a.id)),
          )).seen,
        )
        return { appended, seen }
      }),
    )
    expect(appended).toHaveLength(writers * transactionsPerWriter)
    expect(seen.map((e) => e.id).sort((a, b) => a - b)).toEqual(appended.map((e) => e.id).sort((a, b) => a - b))
  })
})
