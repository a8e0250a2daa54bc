import { Ledger } from "@tally/domain"
import { Effect, Layer, ManagedRuntime } from "effect"
import { SqlClient } from "effect/sql"
import { afterAll, beforeAll, expect, test } from "vitest"
import { createDatabase, pgStore, pool } from "./support/TestDatabase.ts"

/**
 * The audit holds the grants table to the entries on a real PostgreSQL: each row's remainder, amount
 * and expired credits are what its entries say, live rows are the account's live grants, and every
 * grant the entries moved has a row. The table is changed behind the ledger's back (as a bad
 * migration or a hand-written fix would), past the constraints, and the audit names the grant.
 */

let url = ""
let ledger: ManagedRuntime.ManagedRuntime<Ledger, unknown>
const run = <A, E>(body: (l: Ledger["Service"]) => Effect.Effect<A, E>) =>
  ledger.runPromise(Effect.flatMap(Ledger, body))
const sql = (statement: (sql: SqlClient.SqlClient) => Effect.Effect<unknown, unknown>) =>
  Effect.runPromise(Effect.flatMap(SqlClient.SqlClient, statement).pipe(Effect.provide(pool(url, 1))))

beforeAll(async () => {
  url = await createDatabase("read committed")
  ledger = ManagedRuntime.make(Ledger.layer.pipe(Layer.provide(pgStore(url, 4))))
})

afterAll(() => ledger?.dispose())

const violationsOf = async (accountId: string) =>
  (await run((l) => l.audit)).violations.filter((violation) => violation.accountId === accountId)

test("a grant whose remainder in the grants table differs from its entries is reported", async () => {
  const accountId = "audited-remaining"
  const soon = new Date(Date.now() + 3_600_000).toISOString()
  await run((l) => l.topUp({ accountId, amount: 100 }))
  const grant = await run((l) => l.topUp({ accountId, amount: 50, kind: "grant", expiresAt: soon }))
  await run((l) => l.spend({ accountId, amount: 20 }))
  expect(await violationsOf(accountId)).toEqual([])
  const grantId = grant.entry.sequence
  await sql((s) => s`UPDATE grants SET remaining = remaining - 5 WHERE account_id = ${accountId}`)
  expect(await violationsOf(accountId)).toEqual([
    {
      accountId,
      sequence: null,
      problem: `grant ${grantId} keeps 25 in the grants table but its entries leave 30`,
    },
  ])
})

test("a grant the entries moved but the table lost, and a spent row the account still holds live, are reported", async () => {
  const accountId = "audited-rows"
  await run((l) => l.topUp({ accountId, amount: 40, kind: "grant", priority: 1 }))
  const second = await run((l) => l.topUp({ accountId, amount: 60, kind: "grant", priority: 2 }))
  await run((l) => l.spend({ accountId, amount: 40 }))
  expect(await violationsOf(accountId)).toEqual([])
  await sql((s) => s`DELETE FROM grants WHERE account_id = ${accountId} AND grant_id = 1`)
  await sql(
    (s) =>
      s`UPDATE grants SET status = 'spent', remaining = 0 WHERE account_id = ${accountId} AND grant_id = ${second.entry.sequence}`,
  )
  const problems = (await violationsOf(accountId)).map((violation) => violation.problem)
  expect(problems).toEqual([
    `grant ${second.entry.sequence} keeps 0 in the grants table but its entries leave 60`,
    `grant ${second.entry.sequence} is live on the account but spent in the grants table`,
    "grant 1 moved credits but has no row in the grants table",
  ])
})
