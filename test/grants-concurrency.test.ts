import { Ledger } from "@tally/domain"
import { Effect, Layer, ManagedRuntime, Result } from "effect"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { readUntil } from "./support/ReadUntil.ts"
import { shiftedClock } from "./support/ShiftedClock.ts"
import { createDatabase, pgStore } from "./support/TestDatabase.ts"
import { concurrencySetups, twoProcesses } from "./support/TwoProcesses.ts"

/**
 * Grants under concurrency on a real PostgreSQL: two ledgers on two pools stand for two processes.
 * Spends race the expiry of the grants they draw from, on one account; every credit is either spent
 * or expired, once, and the account's balance, grants and entries stay exact.
 */
const hourMs = 3_600_000

const expiredTotal = (runs: ReadonlyArray<{ readonly expired: number }>) =>
  runs.reduce((sum, run) => sum + run.expired, 0)

/** A clock an hour ahead: the expiring process sees every grant of the test due. */
const anHourLater = shiftedClock(hourMs)

describe.each(concurrencySetups)("spends racing grant expiry across two processes, %s", (name, isolation, options) => {
  const setup = name.replace(/[^A-Za-z]/g, "")
  const run = twoProcesses(isolation, options)

  test("every granted credit is spent or expired exactly once, and the rest is exact", async () => {
    const accountId = `grants-race-${setup}`
    const soon = new Date(Date.now() + 60_000).toISOString()
    // Purchased credits that never expire, and ten grants that expire within the minute.
    await run((l) => l.topUp({ accountId, amount: 1_000 }))
    for (let i = 0; i < 10; i++) await run((l) => l.topUp({ accountId, amount: 100, expiresAt: soon, priority: i % 3 }))
    const spends = Array.from({ length: 30 }, (_, i) =>
      run((l) => Effect.result(l.spend({ accountId, amount: 25 })), i % 2),
    )
    // Both processes expire while the spends run, an hour later by their clocks.
    const expiries = Array.from({ length: 6 }, (_, i) =>
      run((l) => (i % 2 === 0 ? l.expireGrants : l.expireAccountGrants({ accountId })), i % 2, anHourLater),
    )
    const [spent, expired] = await Promise.all([Promise.all(spends), Promise.all(expiries)])
    // 750 spent of 2,000: every spend goes through, from grants first, so some granted credits expire.
    expect(spent.every(Result.isSuccess)).toBe(true)
    const usage = spent.length * 25
    expect(expiredTotal(expired)).toBeGreaterThanOrEqual(250)
    const expiredCredits = expiredTotal(expired)
    const { entries } = await run((l) => l.entries({ accountId, limit: 500 }))
    const fromGrants = entries
      .flatMap((entry) => entry.allocations ?? [])
      .filter((allocation) => allocation.amount < 0)
      .reduce((sum, allocation) => sum - allocation.amount, 0)
    const expiryEntries = entries.filter((entry) => entry.kind === "expiry")
    // Everything is settled: the grants are empty, and each of their 1,000 credits went one way.
    expect(await run((l) => l.grantsExpiringNext(accountId))).toBeNull()
    expect(fromGrants).toBe(1_000)
    expect(0 - expiryEntries.reduce((sum, entry) => sum + entry.amount, 0)).toBe(expiredCredits)
    expect(await run((l) => l.balance(accountId))).toBe(2_000 - usage - expiredCredits)
    const grants = (await run((l) => l.grants({ accountId }))).grants
    expect(grants).toHaveLength(10)
    expect(grants.every((grant) => grant.remaining === 0)).toBe(true)
    expect(grants.reduce((sum, grant) => sum + grant.expired, 0)).toBe(expiredCredits)
    expect((await run((l) => l.audit)).violations).toEqual([])
  })

  test("a process that saw the account before the other drew its grants decides on what the other wrote", async () => {
    const accountId = `grants-stale-${setup}`
    const later = new Date(Date.now() + 86_400_000).toISOString()
    // Process 0 writes the account (so it knows it), then process 1 draws on its grant.
    await run((l) => l.topUp({ accountId, amount: 100, expiresAt: later }), 0)
    await run((l) => l.spend({ accountId, amount: 60 }), 1)
    // Process 0's keyed refusal and then its spend are decided on the account as process 1 left it.
    const refused = await run(
      (l) => Effect.result(l.topUp({ accountId, amount: 10, ceiling: 20, idempotencyKey: "r" })),
      0,
    )
    expect(Result.isFailure(refused)).toBe(true)
    await run((l) => l.spend({ accountId, amount: 30 }), 0)
    expect(await run((l) => l.balance(accountId), 1)).toBe(10)
    const grants = (await run((l) => l.grants({ accountId }), 1)).grants
    expect(grants.map(({ remaining, status }) => ({ remaining, status }))).toEqual([{ remaining: 10, status: "live" }])
    expect((await run((l) => l.audit)).violations).toEqual([])
  })
})

/**
 * `grant.expiring` on a real PostgreSQL: two processes run the warning sweep at once, then a third
 * starts on the same database (a restart). Each grant is warned of once: the passes together report
 * each grant once, and the feed holds one event per grant, whoever won.
 */
describe.each(concurrencySetups)(
  "grant.expiring across two processes and a restart, %s",
  (_name, isolation, options) => {
    const leadMs = 2 * hourMs
    let url = ""
    const started: Array<ManagedRuntime.ManagedRuntime<Ledger, unknown>> = []
    const start = () => {
      const process = ManagedRuntime.make(Ledger.layer.pipe(Layer.provide(pgStore(url, 6, options))))
      started.push(process)
      return <A, E>(body: (ledger: Ledger["Service"]) => Effect.Effect<A, E>) =>
        process.runPromise(Effect.flatMap(Ledger, body))
    }
    beforeAll(async () => {
      url = await createDatabase(isolation)
    })
    afterAll(() => Promise.all(started.map((process) => process.dispose())))

    test("two sweepers racing warn of each grant exactly once, and a restarted one warns of none again", async () => {
      const processes = [start(), start()]
      const [first] = processes
      const soon = new Date(Date.now() + hourMs).toISOString()
      const accountIds = Array.from({ length: 6 }, (_, i) => `expiring-${i}`)
      for (const accountId of accountIds)
        for (let i = 0; i < 3; i++)
          await first!((l) => l.topUp({ accountId, amount: 10, expiresAt: soon, priority: i }))
      const passes = await Promise.all(
        Array.from({ length: 10 }, (_, i) => processes[i % 2]!((l) => l.warnExpiringGrants(leadMs))),
      )
      expect(passes.reduce((sum, pass) => sum + pass.grants, 0)).toBe(18)
      const restarted = start()
      expect(await restarted((l) => l.warnExpiringGrants(leadMs))).toEqual({ accounts: 0, grants: 0 })
      // Read until the warnings have arrived, then count them.
      const warnings = await readUntil(
        async () =>
          (await restarted((l) => l.events({ after: 0, limit: 500 }))).events.filter(
            (event) => event.type === "grant.expiring",
          ),
        (arrived) => arrived.length >= 18,
      )
      expect(warnings).toHaveLength(18)
      const warned = new Set(
        warnings.map((event) =>
          event.type === "grant.expiring" ? `${event.accountId}/${event.data.grant.grantId}` : "",
        ),
      )
      expect(warned.size).toBe(18)
      for (const accountId of accountIds) {
        const { grants } = await restarted((l) => l.grants({ accountId }))
        expect(grants.every((grant) => grant.warnedAt !== null)).toBe(true)
      }
      expect((await restarted((l) => l.audit)).violations).toEqual([])
    })
  },
)
