import { MemoryLedgerStore } from "@tally/adapters"
import { type AccountId, auditAccount, Ledger, LedgerStore, scanningQueries, type Violation } from "@tally/domain"
import { Effect, Layer, ManagedRuntime } from "effect"
import { SqlClient } from "effect/sql"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { createDatabase, pgStore, pool } from "./support/TestDatabase.ts"

/**
 * The audit reads in pages (200 accounts, then their entries 5,000 at a time), so its memory stays
 * bounded whatever one account holds. Its findings must be what the whole-history audit finds: here
 * on an account of 12,001 entries (a chain across three pages, a refund of an entry two pages back)
 * and 205 small accounts (two pages of accounts), clean and, on PostgreSQL, with drift written past
 * the constraints in a later page of entries and in the second page of accounts.
 */

const bigEntries = 12_000
const smallAccounts = 205

type Runtime = ManagedRuntime.ManagedRuntime<Ledger | LedgerStore, unknown>

/** What `auditAccount` finds reading every account's whole history at once, as the audit used to. */
const wholeAudit = (runtime: Runtime) =>
  runtime.runPromise(
    Effect.gen(function* () {
      const store = yield* LedgerStore
      const violations: Array<Violation> = []
      let accounts = 0
      let after: AccountId | undefined
      while (true) {
        const page = yield* store.histories(after, 50)
        for (const history of page) violations.push(...auditAccount(history))
        accounts += page.length
        if (page.length < 50) return { accounts, violations }
        after = page[page.length - 1]!.accountId
      }
    }),
  )

const audit = (runtime: Runtime) => runtime.runPromise(Effect.flatMap(Ledger, (l) => l.audit))

/** The small accounts and a refund of the big account's first entry, written through the ledger. */
const smallAndRefund = (runtime: Runtime) =>
  runtime.runPromise(
    Effect.flatMap(Ledger, (l) =>
      Effect.andThen(
        Effect.forEach(
          Array.from({ length: smallAccounts }, (_, i) => `small-${String(i).padStart(3, "0")}`),
          (accountId) => l.topUp({ accountId, amount: 10 }),
          { concurrency: 16 },
        ),
        l.refund({ accountId: "big", sequence: 1, amount: 1 }),
      ),
    ),
  )

const scanning = Layer.effect(
  LedgerStore,
  Effect.map(MemoryLedgerStore.make, (store) => LedgerStore.of({ ...store, ...scanningQueries(store.histories) })),
)

describe.each([
  ["the in-memory store", MemoryLedgerStore.layer],
  ["the in-memory store read by scanning", scanning],
])("the paged audit on %s", (_name, store) => {
  let runtime: Runtime
  beforeAll(async () => {
    runtime = ManagedRuntime.make(Ledger.layer.pipe(Layer.provideMerge(store)))
    await runtime.runPromise(
      Effect.flatMap(Ledger, (l) =>
        Effect.forEach(Array.from({ length: bigEntries }), () => l.topUp({ accountId: "big", amount: 1 }), {
          discard: true,
        }),
      ),
    )
    await smallAndRefund(runtime)
  })
  afterAll(() => runtime.dispose())

  test("checks every account and entry, and finds what the whole-history audit finds", async () => {
    const report = await audit(runtime)
    expect(report).toEqual({
      accountsChecked: smallAccounts + 1,
      entriesChecked: bigEntries + 1 + smallAccounts,
      violations: [],
    })
    expect((await wholeAudit(runtime)).violations).toEqual([])
  })
})

describe("the paged audit on PostgreSQL", () => {
  let runtime: Runtime
  let admin: ManagedRuntime.ManagedRuntime<SqlClient.SqlClient, unknown>
  beforeAll(async () => {
    const url = await createDatabase()
    runtime = ManagedRuntime.make(Ledger.layer.pipe(Layer.provideMerge(pgStore(url))))
    admin = ManagedRuntime.make(pool(url, 1))
    // The big account's entries written directly, as many top-ups of 1, in one statement with the
    // account's balance: the schema checks each against the other as the statement ends.
    await admin.runPromise(
      Effect.flatMap(
        SqlClient.SqlClient,
        (sql) => sql`
          WITH written AS (
            INSERT INTO entries (account_id, sequence, kind, decision, requested, amount, balance_after, created_at)
            SELECT 'big', n, 'top-up', 'Applied', 1, 1, n, now() FROM generate_series(1, ${bigEntries}) AS n
          )
          INSERT INTO accounts (account_id, balance, last_sequence) VALUES ('big', ${bigEntries}, ${bigEntries})`,
      ),
    )
    await smallAndRefund(runtime)
  })
  afterAll(() => Promise.all([runtime?.dispose(), admin?.dispose()]))

  const pastTheConstraints = (statement: (sql: SqlClient.SqlClient) => Effect.Effect<unknown, unknown>) =>
    admin.runPromise(
      Effect.flatMap(SqlClient.SqlClient, (sql) =>
        sql.withTransaction(Effect.andThen(sql`SET LOCAL session_replication_role = replica`, statement(sql))),
      ),
    )

  test("a clean ledger: every account and entry checked, nothing found", async () => {
    const report = await audit(runtime)
    expect(report).toEqual({
      accountsChecked: smallAccounts + 1,
      entriesChecked: bigEntries + 1 + smallAccounts,
      violations: [],
    })
  })

  test("drift in a later page of entries and of accounts: what the whole-history audit finds", async () => {
    await pastTheConstraints(
      (sql) => sql`UPDATE entries SET balance_after = balance_after + 1 WHERE account_id = 'big' AND sequence = 7000`,
    )
    // A second refund of entry 1 (a top-up of 1), past what it added.
    await pastTheConstraints(
      (sql) => sql`
        INSERT INTO entries (account_id, sequence, kind, decision, requested, amount, balance_after, refund_of, created_at)
        VALUES ('big', ${bigEntries + 2}, 'refund', 'Applied', -1, -1, ${bigEntries - 2}, 1, now())`,
    )
    await pastTheConstraints((sql) => sql`UPDATE accounts SET balance = 11 WHERE account_id = 'small-203'`)
    const report = await audit(runtime)
    const whole = await wholeAudit(runtime)
    expect(report.violations).toEqual(whole.violations)
    expect(report.violations).toEqual([
      { accountId: "big", sequence: 7000, problem: "running balance 7001 is not 6999 + 1" },
      { accountId: "big", sequence: 7001, problem: "running balance 7001 is not 7001 + 1" },
      { accountId: "big", sequence: null, problem: "stored balance 11999 differs from the running balance 11998" },
      { accountId: "big", sequence: null, problem: "12002 entries where the account counts 12001" },
      { accountId: "big", sequence: 12002, problem: "refunds of entry 1 sum to 2, past its 1" },
      { accountId: "small-203", sequence: null, problem: "stored balance 11 differs from the running balance 10" },
    ])
    expect(report).toMatchObject({ accountsChecked: smallAccounts + 1, entriesChecked: bigEntries + 2 + smallAccounts })
  })
})
