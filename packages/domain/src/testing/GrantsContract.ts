import * as Effect from "effect/Effect"
import { describe, expect, test } from "vitest"
import { accountFeed } from "./AccountFeed.ts"
import type { ContractContext } from "./ContractContext.ts"

const hour = 3_600_000

/** Grants: credits that expire, drawn down in priority order; as every adapter must keep them. */
export const grantsContract = ({ run, fails, newAccount, clock }: ContractContext) =>
  describe("grants", () => {
    const inHours = (hours: number) => new Date(clock.nowMs() + hours * hour).toISOString()
    const grantsOf = async (accountId: string) => (await run((l) => l.grants({ accountId }))).grants

    test("debits draw grants by priority, then soonest expiry, then age, and ungranted credits last; each entry says what it took", async () => {
      const accountId = newAccount()
      const purchased = await run((l) => l.topUp({ accountId, amount: 100 }))
      expect(purchased.entry).not.toHaveProperty("allocations")
      const later = await run((l) => l.topUp({ accountId, amount: 30, kind: "grant", expiresAt: inHours(48) }))
      const sooner = await run((l) => l.topUp({ accountId, amount: 20, kind: "grant", expiresAt: inHours(24) }))
      const goodwill = await run((l) => l.topUp({ accountId, amount: 10, kind: "grant", priority: 0 }))
      expect(goodwill.entry.allocations).toEqual([{ grantId: goodwill.entry.sequence, amount: 10 }])
      const spend = await run((l) => l.spend({ accountId, amount: 45 }))
      expect(spend.entry.allocations).toEqual([
        { grantId: goodwill.entry.sequence, amount: -10 },
        { grantId: sooner.entry.sequence, amount: -20 },
        { grantId: later.entry.sequence, amount: -15 },
      ])
      const more = await run((l) => l.spend({ accountId, amount: 40 }))
      expect(more.entry.allocations).toEqual([{ grantId: later.entry.sequence, amount: -15 }])
      expect(await run((l) => l.balance(accountId))).toBe(75)
      const listed = await grantsOf(accountId)
      expect(listed.map((g) => [g.grantId, g.status, g.amount, g.remaining, g.priority])).toEqual([
        [goodwill.entry.sequence, "spent", 10, 0, 0],
        [sooner.entry.sequence, "spent", 20, 0, 5],
        [later.entry.sequence, "spent", 30, 0, 5],
      ])
      expect(await run((l) => l.grantsExpiringNext(accountId))).toBeNull()
    })

    test("what is left of a grant at its expiry leaves as one expiry entry, once, with the running balance exact", async () => {
      const accountId = newAccount()
      await run((l) => l.topUp({ accountId, amount: 50 }))
      const expiresAt = inHours(1)
      const monthly = await run((l) => l.topUp({ accountId, amount: 100, kind: "grant", expiresAt }))
      await run((l) => l.spend({ accountId, amount: 30 }))
      expect(await run((l) => l.grantsExpiringNext(accountId))).toEqual({ amount: 70, at: expiresAt })
      expect(await run((l) => l.balances(accountId))).toEqual({
        balance: 120,
        held: 0,
        available: 120,
        expiresNext: { amount: 70, at: expiresAt },
      })
      clock.advance(2 * hour)
      expect(await run((l) => l.expireAccountGrants({ accountId }))).toEqual({ accounts: 1, expired: 70 })
      expect(await run((l) => l.expireAccountGrants({ accountId }))).toEqual({ accounts: 0, expired: 0 })
      await run((l) => l.expireGrants)
      const { entries } = await run((l) => l.entries({ accountId }))
      expect(entries.map((e) => [e.kind, e.amount, e.balanceAfter])).toEqual([
        ["expiry", -70, 50],
        ["usage", -30, 120],
        ["grant", 100, 150],
        ["top-up", 50, 50],
      ])
      expect(entries[0]!.allocations).toEqual([{ grantId: monthly.entry.sequence, amount: -70 }])
      expect(await run((l) => l.balances(accountId))).toMatchObject({ balance: 50, expiresNext: null })
      expect(await grantsOf(accountId)).toMatchObject([
        { grantId: monthly.entry.sequence, status: "expired", amount: 100, remaining: 0, expired: 70 },
      ])
      expect(await run((l) => l.grantsExpiringNext(accountId))).toBeNull()
    })

    test("the sweep expires every account's due grants", async () => {
      const ids = [newAccount(), newAccount()]
      for (const accountId of ids) await run((l) => l.topUp({ accountId, amount: 40, expiresAt: inHours(1) }))
      clock.advance(2 * hour)
      const run1 = await run((l) => l.expireGrants)
      expect(run1.accounts).toBeGreaterThanOrEqual(2)
      for (const accountId of ids) expect(await run((l) => l.balance(accountId))).toBe(0)
    })

    test("credits an open hold reserves do not expire under it: a capture still takes them, and after a release they expire at the next run", async () => {
      const accountId = newAccount()
      const expiresAt = inHours(1)
      const grant = await run((l) => l.topUp({ accountId, amount: 100, expiresAt }))
      await run((l) => l.hold({ accountId, amount: 60, idempotencyKey: "h1" }))
      await run((l) => l.hold({ accountId, amount: 20, idempotencyKey: "h2" }))
      clock.advance(2 * hour)
      expect(await run((l) => l.expireAccountGrants({ accountId }))).toEqual({ accounts: 1, expired: 20 })
      // What the holds keep is still to expire, at an expiry already passed: when they resolve.
      expect(await run((l) => l.balances(accountId))).toEqual({
        balance: 80,
        held: 80,
        available: 0,
        expiresNext: { amount: 80, at: expiresAt },
      })
      const captured = await run((l) => l.capture({ accountId, holdId: 1, amount: 60, idempotencyKey: "c1" }))
      expect(captured.entry?.allocations).toEqual([{ grantId: grant.entry.sequence, amount: -60 }])
      // Nothing due while the other hold keeps the rest.
      expect(await run((l) => l.expireAccountGrants({ accountId }))).toEqual({ accounts: 0, expired: 0 })
      await run((l) => l.release({ accountId, holdId: 2, idempotencyKey: "r2" }))
      expect(await run((l) => l.expireAccountGrants({ accountId }))).toEqual({ accounts: 1, expired: 20 })
      expect(await run((l) => l.balances(accountId))).toEqual({ balance: 0, held: 0, available: 0, expiresNext: null })
      expect(await grantsOf(accountId)).toMatchObject([{ status: "expired", remaining: 0, expired: 40 }])
    })

    test("a credit while the balance is negative repays the debt before it fills its grant", async () => {
      const accountId = newAccount()
      await run((l) => l.adjust({ accountId, amount: -30, reason: "chargeback", actor: "ops", force: true }))
      const grant = await run((l) => l.topUp({ accountId, amount: 80, priority: 1 }))
      expect(grant.entry.allocations).toEqual([{ grantId: grant.entry.sequence, amount: 50 }])
      expect(await grantsOf(accountId)).toMatchObject([{ amount: 80, remaining: 50, status: "live" }])
    })

    test("a refund of a credit takes back its own grant first", async () => {
      const accountId = newAccount()
      const first = await run((l) => l.topUp({ accountId, amount: 40, priority: 1 }))
      const second = await run((l) => l.topUp({ accountId, amount: 40, priority: 7 }))
      const refund = await run((l) => l.refund({ accountId, sequence: second.entry.sequence, amount: 30 }))
      expect(refund.entry.allocations).toEqual([{ grantId: second.entry.sequence, amount: -30 }])
      expect((await grantsOf(accountId)).map((g) => [g.grantId, g.remaining])).toEqual([
        [second.entry.sequence, 10],
        [first.entry.sequence, 40],
      ])
    })

    test("grant terms are part of a keyed top-up: a retry replays it, other terms conflict", async () => {
      const accountId = newAccount()
      const expiresAt = inHours(5)
      const first = await run((l) => l.topUp({ accountId, amount: 25, expiresAt, idempotencyKey: "g1" }))
      const again = await run((l) => l.topUp({ accountId, amount: 25, expiresAt, idempotencyKey: "g1" }))
      expect(again).toEqual({ ...first, replayed: true })
      expect(
        await fails((l) => l.topUp({ accountId, amount: 25, expiresAt, priority: 2, idempotencyKey: "g1" })),
      ).toMatchObject({ _tag: "IdempotencyConflict" })
      expect(await fails((l) => l.topUp({ accountId, amount: 25, priority: 10 }))).toMatchObject({
        _tag: "InvalidRequest",
      })
      expect(await fails((l) => l.topUp({ accountId, amount: 25, expiresAt: "tomorrow" }))).toMatchObject({
        _tag: "InvalidRequest",
      })
    })

    test("the grants listing pages newest first", async () => {
      const accountId = newAccount()
      for (let i = 1; i <= 5; i++) await run((l) => l.topUp({ accountId, amount: i, priority: 3 }))
      const first = await run((l) => l.grants({ accountId, limit: 2 }))
      expect(first.grants.map((g) => g.grantId)).toEqual([5, 4])
      const second = await run((l) => l.grants({ accountId, limit: 2, cursor: first.nextCursor! }))
      const third = await run((l) => l.grants({ accountId, limit: 2, cursor: second.nextCursor! }))
      expect([...second.grants, ...third.grants].map((g) => g.grantId)).toEqual([3, 2, 1])
      expect(third.nextCursor).toBeNull()
      // What expires next is the same read from a whole first page as from the account's live grants.
      const expiresAt = inHours(5)
      await run((l) => l.topUp({ accountId, amount: 9, expiresAt }))
      await run((l) => l.topUp({ accountId, amount: 4, expiresAt, priority: 1 }))
      const expected = { amount: 13, at: expiresAt }
      expect(await run((l) => l.grantsExpiringNext(accountId))).toEqual(expected)
      expect((await run((l) => l.grantsListing({ accountId }))).expiresNext).toEqual(expected)
      expect((await run((l) => l.grantsListing({ accountId, limit: 1 }))).expiresNext).toEqual(expected)
      expect(await fails((l) => l.grants({ accountId: newAccount(), cursor: first.nextCursor! }))).toMatchObject({
        _tag: "InvalidRequest",
      })
    })

    test('a refill with expiresAfter "period" grants credits that expire at the period\'s end', async () => {
      const accountId = newAccount()
      await run((l) => l.topUp({ accountId, amount: 70 }))
      const status = await run((l) =>
        l.configureRefill({ accountId, amount: 100, schedule: { period: "daily" }, expiresAfter: "period" }),
      )
      expect(status).toMatchObject({ expiresAfter: "period" })
      await run((l) => l.runDueRefills)
      const [grant] = await grantsOf(accountId)
      const endOfDay = new Date(clock.nowMs())
      endOfDay.setUTCHours(24, 0, 0, 0)
      expect(grant).toMatchObject({ amount: 100, remaining: 100, status: "live", expiresAt: endOfDay.toISOString() })
      await run((l) => l.spend({ accountId, amount: 30 }))
      clock.advance(endOfDay.getTime() - clock.nowMs() + 1)
      await run((l) => l.expireAccountGrants({ accountId }))
      // The day's grant lapsed with what was left of it; the credits bought stay.
      const { entries } = await run((l) => l.entries({ accountId, kind: "expiry" }))
      expect(entries.map((e) => e.amount)).toEqual([-70])
      await run((l) => l.configureRefill({ accountId, amount: 100, schedule: { period: "daily" }, enabled: false }))
    })

    test("a grant is warned of once when its expiry comes within the lead time: one grant.expiring event, however often and concurrently the pass runs", async () => {
      const accountId = newAccount()
      const feed = accountFeed({ run })
      const start = await feed.end()
      const leadMs = 24 * hour
      const expiresAt = inHours(30)
      const laterAt = inHours(100)
      const soon = await run((l) => l.topUp({ accountId, amount: 100, kind: "grant", expiresAt }))
      const later = await run((l) => l.topUp({ accountId, amount: 50, kind: "grant", expiresAt: laterAt }))
      await run((l) => l.topUp({ accountId, amount: 30, kind: "grant", priority: 1 }))
      await run((l) => l.warnExpiringGrants(leadMs))
      expect((await grantsOf(accountId)).map((grant) => grant.warnedAt)).toEqual([null, null, null])
      clock.advance(10 * hour)
      const passes = await run((l) =>
        Effect.all([l.warnExpiringGrants(leadMs), l.warnExpiringGrants(leadMs), l.warnExpiringGrants(leadMs)], {
          concurrency: "unbounded",
        }),
      )
      expect(passes.reduce((sum, pass) => sum + pass.grants, 0)).toBeGreaterThanOrEqual(1)
      const listed = await grantsOf(accountId)
      expect(listed.map((grant) => [grant.grantId, grant.warnedAt === null])).toEqual([
        [soon.entry.sequence + 2, true],
        [later.entry.sequence, true],
        [soon.entry.sequence, false],
      ])
      const warnedAt = listed[2]?.warnedAt
      // Spent from, the warned grant stays warned of; another pass warns of nothing more on the account.
      await run((l) => l.spend({ accountId, amount: 60 }))
      await run((l) => l.warnExpiringGrants(leadMs))
      clock.advance(70 * hour)
      await run((l) => l.warnExpiringGrants(leadMs))
      await run((l) => l.warnExpiringGrants(leadMs))
      const events = (await feed.eventsOf(accountId, start, 2)).filter((event) => event.type === "grant.expiring")
      expect(events.map((event) => [event.type, event.data])).toEqual([
        [
          "grant.expiring",
          {
            grant: expect.objectContaining({ grantId: soon.entry.sequence, warnedAt, remaining: 100 }),
            amount: 100,
            expiresAt,
          },
        ],
        [
          "grant.expiring",
          {
            grant: expect.objectContaining({ grantId: later.entry.sequence, remaining: 50 }),
            amount: 50,
            expiresAt: laterAt,
          },
        ],
      ])
    })

    test("a completed auto top-up with expiresAt or priority writes a grant; a retry with other terms conflicts", async () => {
      const accountId = newAccount()
      await run((l) => l.topUp({ accountId, amount: 50 }))
      await run((l) => l.configureAutoTopUp({ accountId, threshold: 100, amount: 500 }))
      await run((l) => l.spend({ accountId, amount: 10 }))
      const expiresAt = inHours(24 * 365)
      const completion = { accountId, requestId: 1, paymentReference: "pi_grant_1", expiresAt, priority: 7 }
      const completed = await run((l) => l.completeAutoTopUp(completion))
      expect(completed.entry).toMatchObject({
        kind: "top-up",
        amount: 500,
        allocations: [{ grantId: completed.entry?.sequence, amount: 500 }],
      })
      expect(await grantsOf(accountId)).toMatchObject([
        { grantId: completed.entry?.sequence, status: "live", amount: 500, remaining: 500, priority: 7, expiresAt },
      ])
      expect(await run((l) => l.completeAutoTopUp(completion))).toMatchObject({ replayed: true })
      expect(await fails((l) => l.completeAutoTopUp({ ...completion, priority: 2 }))).toMatchObject({
        _tag: "IdempotencyConflict",
      })
      // Spent before the ungranted 40, as every grant is.
      const spend = await run((l) => l.spend({ accountId, amount: 20 }))
      expect(spend.entry.allocations).toEqual([{ grantId: completed.entry?.sequence, amount: -20 }])
      expect(await run((l) => l.balances(accountId))).toMatchObject({
        balance: 520,
        expiresNext: { amount: 480, at: expiresAt },
      })
    })

    test("the audit finds every account with grants consistent", async () => {
      const report = await run((l) => Effect.map(l.audit, (r) => r.violations))
      expect(report).toEqual([])
    })
  })
