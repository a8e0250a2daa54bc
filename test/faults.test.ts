import type { PgLedgerStore } from "@tally/adapters"
import { Ledger } from "@tally/domain"
import { Clock, Effect, Layer, ManagedRuntime } from "effect"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import * as FaultProxy from "./support/FaultProxy.ts"
import { readUntil } from "./support/ReadUntil.ts"
import { shiftedClock } from "./support/ShiftedClock.ts"
import { createDatabase, pgStore } from "./support/TestDatabase.ts"

/**
 * A connection lost at the worst moment, injected on purpose and every time: right after the
 * ledger sends COMMIT (the write lands, the ledger never hears so), or instead of it (the write
 * does not land, and the ledger cannot tell that either). Either way the ledger must find out
 * which, and answer with the truth: applied once, never twice, never lost.
 */

const setups: Array<[string, Partial<PgLedgerStore.Options>]> = [
  ["the locked batch", { soloWrites: false }],
  ["compare-and-swap statements", {}],
]

describe.each(setups)("a lost COMMIT answer, on %s", (name, options) => {
  let proxy: FaultProxy.FaultProxy
  let ledger: ManagedRuntime.ManagedRuntime<Ledger, unknown>
  let impatient: ManagedRuntime.ManagedRuntime<Ledger, unknown>
  beforeAll(async () => {
    const url = new URL(await createDatabase())
    proxy = await FaultProxy.start({ host: url.hostname, port: Number(url.port) })
    url.port = String(proxy.port)
    ledger = ManagedRuntime.make(Ledger.layer.pipe(Layer.provide(pgStore(url.toString(), 4, options))))
    impatient = ManagedRuntime.make(
      Ledger.layer.pipe(Layer.provide(pgStore(url.toString(), 4, { ...options, retryBudgetMs: 300 }))),
    )
  })
  afterAll(async () => {
    await Promise.all([ledger.dispose(), impatient.dispose()])
    await proxy.close()
  })

  const run = <A, E>(body: (l: Ledger["Service"]) => Effect.Effect<A, E>, on = ledger) =>
    on.runPromise(Effect.flatMap(Ledger, body))
  let accounts = 0
  const newAccount = () => `cut-${name.replace(/[^a-z]/g, "")}-${accounts++}`
  /** The statement whose answer is cut: the COMMIT, or the compare-and-swap statement that commits by itself. */
  const commitOf = options.soloWrites === false ? FaultProxy.isCommit : FaultProxy.isCompareAndSwap

  const history = async (accountId: string) => {
    const { entries } = await run((l) => l.entries({ accountId }))
    return { entries, balance: await run((l) => l.balance(accountId)), audit: (await run((l) => l.audit)).violations }
  }

  test.each([true, false])(
    "a write whose commit lands unheard is answered as applied, once (keyed: %s)",
    async (keyed) => {
      const accountId = newAccount()
      await run((l) => l.topUp({ accountId, amount: 1000 }))
      const cutsBefore = proxy.cuts()
      proxy.arm({ deliver: true, match: commitOf })
      const posting = await run((l) =>
        l.spend({ accountId, amount: 300, ...(keyed ? { idempotencyKey: "spend-1" } : {}) }),
      )
      expect(proxy.cuts()).toBe(cutsBefore + 1)
      expect(posting.replayed).toBe(false)
      expect(posting.entry).toMatchObject({ sequence: 2, amount: -300, balanceAfter: 700 })
      const { entries, balance, audit } = await history(accountId)
      expect(entries.map((e) => e.sequence)).toEqual([2, 1])
      expect(entries[0]).toEqual(posting.entry)
      expect(balance).toBe(700)
      expect(audit).toEqual([])
    },
  )

  test.each([true, false])(
    "a write whose commit never reaches the server is applied once, by a retry (keyed: %s)",
    async (keyed) => {
      const accountId = newAccount()
      await run((l) => l.topUp({ accountId, amount: 1000 }))
      const cutsBefore = proxy.cuts()
      proxy.arm({ deliver: false, match: commitOf })
      const posting = await run((l) =>
        l.spend({ accountId, amount: 300, ...(keyed ? { idempotencyKey: "spend-1" } : {}) }),
      )
      expect(proxy.cuts()).toBe(cutsBefore + 1)
      expect(posting).toMatchObject({ replayed: false, entry: { sequence: 2, amount: -300, balanceAfter: 700 } })
      const { entries, balance } = await history(accountId)
      expect(entries.map((e) => e.sequence)).toEqual([2, 1])
      expect(balance).toBe(700)
    },
  )

  test.each([true, false])(
    "a hold, a capture and a release whose commits land unheard are each answered once (delivered: %s)",
    async (deliver) => {
      const accountId = newAccount()
      await run((l) => l.topUp({ accountId, amount: 1000 }))
      const cutsBefore = proxy.cuts()
      proxy.arm({ deliver, match: FaultProxy.isCommit })
      const placed = await run((l) => l.hold({ accountId, amount: 400, idempotencyKey: "hold-1" }))
      expect(placed).toMatchObject({ replayed: false, hold: { holdId: 1, amount: 400 }, balances: { held: 400 } })
      proxy.arm({ deliver, match: FaultProxy.isCommit })
      const captured = await run((l) =>
        l.capture({ accountId, holdId: 1, amount: 150, final: false, idempotencyKey: "capture-1" }),
      )
      expect(captured).toMatchObject({ replayed: false, entry: { sequence: 2, amount: -150 }, balances: { held: 250 } })
      proxy.arm({ deliver, match: FaultProxy.isCommit })
      const released = await run((l) => l.release({ accountId, holdId: 1, idempotencyKey: "release-1" }))
      expect(released).toMatchObject({ replayed: false, hold: { status: "released", captured: 150 } })
      expect(proxy.cuts()).toBe(cutsBefore + 3)
      const { entries, balance, audit } = await history(accountId)
      expect(entries.map((e) => e.sequence)).toEqual([2, 1])
      expect(entries[0]).toEqual(captured.entry)
      expect(balance).toBe(850)
      expect(await run((l) => l.balances(accountId))).toEqual({
        balance: 850,
        held: 0,
        available: 850,
        expiresNext: null,
      })
      expect(audit).toEqual([])
    },
  )

  /** The account's events in the feed, once `count` have arrived (a shared server shows them once older transactions end). */
  const eventsOf = async (accountId: string, count: number) => {
    const events = await readUntil(
      async () => {
        const events: Array<{ type: string }> = []
        let after = 0
        while (true) {
          const page = await run((l) => l.events({ after, limit: 500 }))
          events.push(...page.events.filter((e) => e.accountId === accountId))
          if (page.events.length === 0) return events
          after = page.next
        }
      },
      (events) => events.length >= count,
    )
    return events.map((e) => e.type)
  }

  test.each([true, false])(
    "a spend that opens an auto top-up request, its commit cut, opens it once (delivered: %s)",
    async (deliver) => {
      const accountId = newAccount()
      await run((l) => l.topUp({ accountId, amount: 150 }))
      await run((l) => l.configureAutoTopUp({ accountId, threshold: 100, amount: 500 }))
      const cutsBefore = proxy.cuts()
      proxy.arm({ deliver, match: FaultProxy.isCommit })
      const posting = await run((l) => l.spend({ accountId, amount: 70 }))
      expect(proxy.cuts()).toBe(cutsBefore + 1)
      expect(posting).toMatchObject({ replayed: false, entry: { sequence: 2, balanceAfter: 80 } })
      expect(await run((l) => l.autoTopUp(accountId))).toMatchObject({ openRequestId: 1 })
      expect(await run((l) => Effect.flip(l.getAutoTopUpRequest({ accountId, requestId: 2 })))).toMatchObject({
        _tag: "AutoTopUpRequestNotFound",
      })
      expect(await eventsOf(accountId, 2)).toEqual(["balance.low", "auto_top_up.requested"])
      expect((await history(accountId)).audit).toEqual([])
    },
  )

  test.each([true, false])(
    "a completion and a failure whose commits are cut are each answered once (delivered: %s)",
    async (deliver) => {
      const accountId = newAccount()
      await run((l) => l.topUp({ accountId, amount: 50 }))
      await run((l) => l.configureAutoTopUp({ accountId, threshold: 100, amount: 500 }))
      await run((l) => l.spend({ accountId, amount: 1 }))
      proxy.arm({ deliver, match: FaultProxy.isCommit })
      const failed = await run((l) => l.failAutoTopUp({ accountId, requestId: 1, reason: "card_declined" }))
      expect(failed).toMatchObject({ replayed: false, request: { status: "failed" } })
      await run((l) => l.spend({ accountId, amount: 1 }))
      proxy.arm({ deliver, match: FaultProxy.isCommit })
      const completed = await run((l) => l.completeAutoTopUp({ accountId, requestId: 2, paymentReference: "pi_cut" }))
      expect(completed).toMatchObject({
        replayed: false,
        request: { status: "completed" },
        entry: { sequence: 4, amount: 500, balanceAfter: 548 },
      })
      const { entries, balance, audit } = await history(accountId)
      expect(entries.map((e) => e.kind)).toEqual(["top-up", "usage", "usage", "top-up"])
      expect(balance).toBe(548)
      expect(audit).toEqual([])
      expect(await run((l) => l.autoTopUp(accountId))).toMatchObject({ consecutiveFailures: 0, openRequestId: null })
      expect(await eventsOf(accountId, 4)).toEqual([
        "auto_top_up.requested",
        "auto_top_up.failed",
        "auto_top_up.requested",
        "auto_top_up.completed",
      ])
    },
  )

  test.each([true, false])(
    "a pending credit's recording, activations and void whose commits are cut are each answered once (delivered: %s)",
    async (deliver) => {
      const accountId = newAccount()
      await run((l) => l.topUp({ accountId, amount: 100 }))
      const cutsBefore = proxy.cuts()
      const cut = <A, E>(body: (l: Ledger["Service"]) => Effect.Effect<A, E>) => {
        proxy.arm({ deliver, match: FaultProxy.isCommit })
        return run(body)
      }
      for (const key of ["checkout-1", "checkout-2", "checkout-3"]) {
        const recorded = await cut((l) => l.recordPendingCredit({ accountId, amount: 500, idempotencyKey: key }))
        expect(recorded).toMatchObject({ replayed: false, pendingCredit: { status: "pending" }, entry: null })
      }
      // Unkeyed, the activation is found by its entry and the void by its event; keyed, by its record.
      const activated = await cut((l) => l.activateCredit({ accountId, pendingCreditId: 1 }))
      expect(activated).toMatchObject({ replayed: false, entry: { sequence: 2, amount: 500, balanceAfter: 600 } })
      const voided = await cut((l) => l.voidCredit({ accountId, pendingCreditId: 2 }))
      expect(voided).toMatchObject({ replayed: false, pendingCredit: { status: "voided" }, entry: null })
      const keyed = await cut((l) => l.activateCredit({ accountId, pendingCreditId: 3, idempotencyKey: "pay-3" }))
      expect(keyed).toMatchObject({ replayed: false, entry: { sequence: 3, amount: 500, balanceAfter: 1100 } })
      expect(proxy.cuts()).toBe(cutsBefore + 6)
      const { entries, balance, audit } = await history(accountId)
      expect(entries.map((e) => e.sequence)).toEqual([3, 2, 1])
      expect(balance).toBe(1100)
      expect(audit).toEqual([])
      const { pendingCredits } = await run((l) => l.pendingCredits({ accountId }))
      expect(pendingCredits.map((c) => [c.pendingCreditId, c.status, c.entrySequence])).toEqual([
        [3, "activated", 3],
        [2, "voided", null],
        [1, "activated", 2],
      ])
      expect(await eventsOf(accountId, 6)).toEqual([
        "credit.pending",
        "credit.pending",
        "credit.pending",
        "credit.activated",
        "credit.voided",
        "credit.activated",
      ])
    },
  )

  test("a refill whose commit lands unheard is applied once, and a period found at the ceiling is settled once", async () => {
    const full = newAccount()
    await run((l) => l.topUp({ accountId: full, amount: 100 }))
    await run((l) => l.configureRefill({ accountId: full, amount: 100, ceiling: 100, schedule: { period: "daily" } }))
    proxy.arm({ deliver: true, match: FaultProxy.isCommit })
    expect((await run((l) => l.runDueRefills)).atCeiling).toBeGreaterThanOrEqual(1)
    const empty = newAccount()
    await run((l) => l.configureRefill({ accountId: empty, amount: 100, ceiling: 100, schedule: { period: "daily" } }))
    proxy.arm({ deliver: true, match: FaultProxy.isCommit })
    await run((l) => l.runDueRefills)
    await run((l) => l.runDueRefills)
    expect((await history(empty)).entries.map((e) => e.amount)).toEqual([100])
    expect((await history(full)).entries.map((e) => e.amount)).toEqual([100])
    expect(await run((l) => l.refill(full))).toMatchObject({ lastPeriodStart: expect.any(String) })
  })

  test("an expiry whose commit lands unheard is run again harmlessly", async () => {
    const accountId = newAccount()
    await run((l) => l.topUp({ accountId, amount: 1000 }))
    await run((l) => l.hold({ accountId, amount: 400, expiresInSeconds: 1, idempotencyKey: "short" }))
    proxy.arm({ deliver: true, match: FaultProxy.isCommit })
    await run((l) => l.expireHolds.pipe(Effect.provideService(Clock.Clock, shiftedClock(60_000))))
    expect(await run((l) => l.getHold({ accountId, holdId: 1 }))).toMatchObject({ status: "expired" })
    expect(await run((l) => l.balances(accountId))).toEqual({
      balance: 1000,
      held: 0,
      available: 1000,
      expiresNext: null,
    })
    expect((await history(accountId)).audit).toEqual([])
  })

  test.each([true, false])(
    "a grant expiry whose commit is cut is applied once, with one expiry entry (it landed: %s)",
    async (deliver) => {
      const accountId = newAccount()
      await run((l) => l.topUp({ accountId, amount: 1000 }))
      const expiresAt = new Date(Date.now() + 30_000).toISOString()
      await run((l) => l.topUp({ accountId, amount: 400, expiresAt }))
      await run((l) => l.spend({ accountId, amount: 150 }))
      const cutsBefore = proxy.cuts()
      proxy.arm({ deliver, match: FaultProxy.isCommit })
      const expired = await run((l) =>
        l.expireAccountGrants({ accountId }).pipe(Effect.provideService(Clock.Clock, shiftedClock(60_000))),
      )
      expect(proxy.cuts()).toBe(cutsBefore + 1)
      expect(expired).toEqual({ accounts: 1, expired: 250 })
      // Run again: nothing is due.
      await run((l) => l.expireGrants.pipe(Effect.provideService(Clock.Clock, shiftedClock(60_000))))
      const { entries, balance, audit } = await history(accountId)
      expect(entries.map((e) => [e.kind, e.amount])).toEqual([
        ["expiry", -250],
        ["usage", -150],
        ["top-up", 400],
        ["top-up", 1000],
      ])
      expect(balance).toBe(1000)
      expect(await run((l) => l.grants({ accountId }))).toMatchObject({
        grants: [{ status: "expired", remaining: 0, expired: 250 }],
      })
      expect(audit).toEqual([])
    },
  )

  test("a first write on a new account whose commit lands unheard creates it once", async () => {
    const accountId = newAccount()
    proxy.arm({ deliver: true, match: commitOf })
    const posting = await run((l) => l.topUp({ accountId, amount: 5, ceiling: 100 }))
    expect(posting.entry).toMatchObject({ sequence: 1, balanceAfter: 5 })
    expect((await history(accountId)).entries).toHaveLength(1)
  })

  test("a settings change whose commit lands unheard is set, and never said not to be", async () => {
    const accountId = newAccount()
    proxy.arm({ deliver: true, match: commitOf })
    expect(await run((l) => l.updateSettings({ accountId, overdraftLimit: 70 }))).toEqual({ overdraftLimit: 70 })
    const goAway = () => {
      proxy.cutAll()
      proxy.refuseFor(1_500)
    }
    // Written once through the impatient ledger, so its next write is decided on the account as it
    // stands: its first statement is the one that commits, and the one cut.
    await run((l) => l.updateSettings({ accountId, overdraftLimit: 70 }), impatient)
    proxy.arm({ deliver: true, match: commitOf, afterwards: goAway })
    const error = await run((l) => Effect.flip(l.updateSettings({ accountId, overdraftLimit: 90 })), impatient)
    expect(error).toMatchObject({ _tag: "OutcomeUnknown", accountId, idempotencyKey: null })
    await new Promise((resolve) => setTimeout(resolve, 1_600))
    expect(await run((l) => l.settings(accountId))).toEqual({ overdraftLimit: 90 })
  })

  test("when the database stays away past the budget, the answer is OutcomeUnknown, and a retry with the key tells the truth", async () => {
    const accountId = newAccount()
    await run((l) => l.topUp({ accountId, amount: 1000 }), impatient)
    // The COMMIT lands; then the server goes away for longer than the budget, so nobody can look.
    const goAway = () => {
      proxy.cutAll()
      proxy.refuseFor(1_500)
    }
    proxy.arm({ deliver: true, match: commitOf, afterwards: goAway })
    const error = await run((l) => Effect.flip(l.spend({ accountId, amount: 300, idempotencyKey: "late" })), impatient)
    expect(error).toMatchObject({ _tag: "OutcomeUnknown", accountId, idempotencyKey: "late" })
    expect(error.message).toContain("retrying with idempotency key late is safe")
    await new Promise((resolve) => setTimeout(resolve, 1_600))
    const retry = await run((l) => l.spend({ accountId, amount: 300, idempotencyKey: "late" }))
    expect(retry).toMatchObject({ replayed: true, entry: { sequence: 2, balanceAfter: 700 } })
    expect(await run((l) => l.balance(accountId))).toBe(700)
  })

  test("when the database refuses connections past the budget before anything was sent, the answer is LedgerUnavailable and nothing was written", async () => {
    const accountId = newAccount()
    await run((l) => l.topUp({ accountId, amount: 1000 }))
    proxy.cutAll()
    proxy.refuseFor(1_500)
    // A write is one statement: sent on a connection whose close the ledger has not yet seen, it may
    // have reached the server, and is OutcomeUnknown until looked up (the test above). Here the ledger
    // has seen its connections go, and every new one is refused: nothing can have been sent.
    await new Promise((resolve) => setTimeout(resolve, 50))
    const error = await run((l) => Effect.flip(l.spend({ accountId, amount: 300, idempotencyKey: "away" })), impatient)
    expect(error).toMatchObject({ _tag: "LedgerUnavailable" })
    expect(error.message).toContain("nothing was written")
    await new Promise((resolve) => setTimeout(resolve, 1_600))
    expect(await run((l) => l.balance(accountId))).toBe(1000)
    const retry = await run((l) => l.spend({ accountId, amount: 300, idempotencyKey: "away" }))
    expect(retry.replayed).toBe(false)
  })
})
