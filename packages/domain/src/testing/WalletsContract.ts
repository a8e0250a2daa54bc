import { describe, expect, test } from "vitest"
import { isReplayed } from "../ReplayedRefusal.ts"
import type { ContractContext } from "./ContractContext.ts"

const hour = 3_600_000
const day = 24 * hour

/**
 * Organization wallets: members spending from one account. Entries name their member and read it
 * back, totals and history are per wallet and per member, and a member's limit per period holds.
 */
export const walletsContract = ({ run, fails, newAccount, clock }: ContractContext) =>
  describe("organization wallets", () => {
    /** Moves the clock to 01:00 UTC of a day to come, so a test's writes share one day, week and month. */
    const startOfADay = () => {
      const now = clock.nowMs()
      const nextMonth = new Date(now)
      // The 2nd of next month is a day of a fresh month, and its week starts after the 1st's Monday at worst.
      const target = Date.UTC(nextMonth.getUTCFullYear(), nextMonth.getUTCMonth() + 1, 2) + hour
      clock.advance(target - now)
    }

    const wallet = async (balance: number) => {
      const accountId = newAccount()
      await run((l) => l.topUp({ accountId, amount: balance }))
      return accountId
    }

    test("an entry names its member: spends, holds and their captures, top-ups, adjustments; a refund its refunded entry's", async () => {
      const accountId = newAccount()
      const { entry: topUp } = await run((l) => l.topUp({ accountId, amount: 1000, member: "ana" }))
      const { entry: spend } = await run((l) => l.spend({ accountId, amount: 100, member: "bo", reference: "r1" }))
      const held = await run((l) => l.hold({ accountId, amount: 200, member: "ana", idempotencyKey: "h1" }))
      expect(held.hold.member).toBe("ana")
      const captured = await run((l) =>
        l.capture({ accountId, holdId: 1, amount: 50, final: false, idempotencyKey: "c1" }),
      )
      const { entry: adjustment } = await run((l) =>
        l.adjust({ accountId, amount: -5, reason: "typo", actor: "ops", member: "bo" }),
      )
      const { entry: refund } = await run((l) => l.refund({ accountId, sequence: 1, amount: 10 }))
      const { entry: plain } = await run((l) => l.spend({ accountId, amount: 1 }))
      expect([topUp, spend, captured.entry, adjustment, refund].map((e) => e?.member)).toEqual([
        "ana",
        "bo",
        "ana",
        "bo",
        "ana",
      ])
      expect("member" in plain).toBe(false)
      // What was written is what is read back, field for field.
      const { entries } = await run((l) => l.entries({ accountId }))
      expect([...entries].reverse()).toEqual([topUp, spend, captured.entry, adjustment, refund, plain])
      expect(await run((l) => l.getHold({ accountId, holdId: 1 }))).toEqual(captured.hold)
      expect(captured.hold.member).toBe("ana")
      const other = await run((l) => l.capture({ accountId, holdId: 1, member: "cy", idempotencyKey: "c2" }))
      expect(other.entry?.member).toBe("cy")
    })

    test("a member is refused when it is not a member id", async () => {
      const accountId = await wallet(100)
      for (const member of ["", "has space", "x".repeat(129), "-dash-first"]) {
        expect(await fails((l) => l.spend({ accountId, amount: 1, member }))).toMatchObject({ _tag: "InvalidRequest" })
      }
      expect((await run((l) => l.entries({ accountId }))).entries).toHaveLength(1)
    })

    test("totals by member: each wallet's show only its own members, though two wallets share a member id", async () => {
      const acme = await wallet(1000)
      const globex = await wallet(1000)
      await run((l) => l.spend({ accountId: acme, amount: 100, member: "ana" }))
      await run((l) => l.spend({ accountId: acme, amount: 50, member: "ana" }))
      await run((l) => l.spend({ accountId: acme, amount: 30, member: "bo" }))
      await run((l) => l.spend({ accountId: globex, amount: 7, member: "ana" }))
      await run((l) => l.spend({ accountId: acme, amount: 1 }))
      expect(await run((l) => l.totals({ accountId: acme, groupBy: "member" }))).toEqual([
        { member: null, kind: "top-up", entries: 1, amount: 1000n },
        { member: null, kind: "usage", entries: 1, amount: -1n },
        { member: "ana", kind: "usage", entries: 2, amount: -150n },
        { member: "bo", kind: "usage", entries: 1, amount: -30n },
      ])
      expect(await run((l) => l.totals({ accountId: globex, groupBy: "member" }))).toEqual([
        { member: null, kind: "top-up", entries: 1, amount: 1000n },
        { member: "ana", kind: "usage", entries: 1, amount: -7n },
      ])
      expect(await run((l) => l.totals({ accountId: acme, member: "ana" }))).toEqual([
        { kind: "usage", entries: 2, amount: -150n },
      ])
      // The members' sums and the entries naming none add up to the wallet's.
      const whole = await run((l) => l.totals({ accountId: acme }))
      expect(whole).toEqual([
        { kind: "top-up", entries: 1, amount: 1000n },
        { kind: "usage", entries: 4, amount: -181n },
      ])
      const ana = await run((l) => l.entries({ accountId: acme, member: "ana" }))
      expect(ana.entries.map((e) => [e.accountId, e.amount])).toEqual([
        [acme, -50],
        [acme, -100],
      ])
      const everywhere = await run((l) => l.search({ member: "ana", accountId: globex }))
      expect(everywhere.entries.map((e) => [e.accountId, e.amount])).toEqual([[globex, -7]])
    })

    test("runs filter by member", async () => {
      const accountId = await wallet(1000)
      await run((l) => l.spend({ accountId, amount: 10, member: "ana", reference: "run-1" }))
      await run((l) => l.spend({ accountId, amount: 20, member: "bo", reference: "run-1" }))
      await run((l) => l.spend({ accountId, amount: 40, member: "bo", reference: "run-2" }))
      const bo = await run((l) => l.runs({ accountId, member: "bo" }))
      expect(bo.runs.map((r) => [r.reference, r.total, r.entries])).toEqual([
        ["run-2", -40n, 1],
        ["run-1", -20n, 1],
      ])
      const ana = await run((l) => l.runs({ accountId, member: "ana" }))
      expect(ana.runs.map((r) => [r.reference, r.total])).toEqual([["run-1", -10n]])
    })

    test("a member's limit refuses the spend that would pass it, with its values, and writes nothing", async () => {
      startOfADay()
      const accountId = await wallet(10_000)
      const set = await run((l) => l.setMemberLimits({ accountId, members: { ana: { credits: 300, period: "day" } } }))
      expect(set).toEqual({ accountId, default: null, members: { ana: { credits: 300, period: "day" } }, usage: [] })
      await run((l) => l.spend({ accountId, amount: 200, member: "ana" }))
      const periodStart = new Date(Math.floor(clock.nowMs() / day) * day).toISOString()
      const error = await fails((l) => l.spend({ accountId, amount: 101, member: "ana", idempotencyKey: "k1" }))
      expect(error).toMatchObject({
        _tag: "MemberLimitExceeded",
        accountId,
        member: "ana",
        limit: 300,
        used: 200,
        requested: 101,
        periodStart,
      })
      expect(error.message).toContain("ana")
      // A keyed refusal replays as itself.
      const again = await fails((l) => l.spend({ accountId, amount: 101, member: "ana", idempotencyKey: "k1" }))
      expect(again).toMatchObject({ _tag: "MemberLimitExceeded", used: 200 })
      expect(isReplayed(again)).toBe(true)
      expect(await run((l) => l.balance(accountId))).toBe(9_800)
      expect((await run((l) => l.entries({ accountId }))).entries).toHaveLength(2)
      // Reaching the limit exactly is allowed; other members and entries naming none are not limited.
      await run((l) => l.spend({ accountId, amount: 100, member: "ana" }))
      await run((l) => l.spend({ accountId, amount: 5_000, member: "bo" }))
      await run((l) => l.spend({ accountId, amount: 1_000 }))
      expect(await run((l) => l.memberLimits(accountId))).toMatchObject({
        usage: [{ member: "ana", used: 300, held: 0, remaining: 0, periodStart }],
      })
      // The next day counts afresh.
      clock.advance(day)
      await run((l) => l.spend({ accountId, amount: 300, member: "ana" }))
      expect(await fails((l) => l.spend({ accountId, amount: 1, member: "ana" }))).toMatchObject({
        _tag: "MemberLimitExceeded",
        used: 300,
      })
    })

    test("the default limits every member without one of its own; weekly and monthly periods", async () => {
      startOfADay()
      const accountId = await wallet(10_000)
      await run((l) =>
        l.setMemberLimits({
          accountId,
          default: { credits: 100, period: "week" },
          members: { boss: { credits: 1000, period: "month" } },
        }),
      )
      await run((l) => l.spend({ accountId, amount: 100, member: "ana" }))
      await run((l) => l.spend({ accountId, amount: 100, member: "bo" }))
      await run((l) => l.spend({ accountId, amount: 900, member: "boss" }))
      for (const member of ["ana", "bo"]) {
        expect(await fails((l) => l.spend({ accountId, amount: 1, member }))).toMatchObject({
          _tag: "MemberLimitExceeded",
          limit: 100,
        })
      }
      expect(await fails((l) => l.spend({ accountId, amount: 101, member: "boss" }))).toMatchObject({
        _tag: "MemberLimitExceeded",
        limit: 1000,
        used: 900,
      })
      clock.advance(7 * day)
      await run((l) => l.spend({ accountId, amount: 100, member: "ana" }))
    })

    test("a hold counts against its member when placed, its release gives it back, its capture settles it", async () => {
      startOfADay()
      const accountId = await wallet(10_000)
      await run((l) => l.setMemberLimits({ accountId, default: { credits: 500, period: "day" } }))
      await run((l) => l.hold({ accountId, amount: 400, member: "ana", idempotencyKey: "h1" }))
      const error = await fails((l) => l.spend({ accountId, amount: 101, member: "ana" }))
      expect(error).toMatchObject({ _tag: "MemberLimitExceeded", used: 400, requested: 101 })
      expect(await fails((l) => l.hold({ accountId, amount: 101, member: "ana", idempotencyKey: "h2" }))).toMatchObject(
        { _tag: "MemberLimitExceeded", used: 400 },
      )
      expect(await run((l) => l.memberLimits(accountId))).toMatchObject({
        usage: [{ member: "ana", used: 400, held: 400, remaining: 100 }],
      })
      // A capture within the reservation is never refused for the limit; what it leaves is given back.
      await run((l) => l.capture({ accountId, holdId: 1, amount: 300, idempotencyKey: "c1" }))
      expect(await run((l) => l.memberLimits(accountId))).toMatchObject({
        usage: [{ member: "ana", used: 300, held: 0, remaining: 200 }],
      })
      await run((l) => l.hold({ accountId, amount: 200, member: "ana", idempotencyKey: "h3" }))
      await run((l) => l.release({ accountId, holdId: 2, idempotencyKey: "r2" }))
      await run((l) => l.hold({ accountId, amount: 200, member: "ana", idempotencyKey: "h4" }))
      // Beyond the reservation, the excess is checked: 300 spent + 200 held, 1 more passes 500.
      expect(await fails((l) => l.capture({ accountId, holdId: 3, amount: 201, idempotencyKey: "c3" }))).toMatchObject({
        _tag: "MemberLimitExceeded",
        used: 500,
        requested: 1,
      })
      await run((l) => l.capture({ accountId, holdId: 3, amount: 200, idempotencyKey: "c4" }))
      expect(await run((l) => l.memberLimits(accountId))).toMatchObject({
        usage: [{ member: "ana", used: 500, held: 0, remaining: 0 }],
      })
      // A hold that expires gives its reservation back too.
      clock.advance(day)
      await run((l) => l.hold({ accountId, amount: 500, member: "ana", idempotencyKey: "h5", expiresInSeconds: 60 }))
      clock.advance(2 * 60_000)
      await run((l) => l.expireHolds)
      await run((l) => l.spend({ accountId, amount: 500, member: "ana" }))
    })

    test("holds placed before the wallet had limits never count", async () => {
      startOfADay()
      const accountId = await wallet(10_000)
      await run((l) => l.hold({ accountId, amount: 400, member: "ana", idempotencyKey: "h1" }))
      await run((l) => l.setMemberLimits({ accountId, default: { credits: 500, period: "day" } }))
      await run((l) => l.hold({ accountId, amount: 300, member: "ana", idempotencyKey: "h2" }))
      await run((l) => l.release({ accountId, holdId: 1, idempotencyKey: "r1" }))
      expect(await run((l) => l.memberLimits(accountId))).toMatchObject({ usage: [{ member: "ana", used: 300 }] })
      expect(await fails((l) => l.spend({ accountId, amount: 201, member: "ana" }))).toMatchObject({
        _tag: "MemberLimitExceeded",
        used: 300,
      })
    })

    test("limits are set, read and removed; removing them forgets what was counted", async () => {
      startOfADay()
      const accountId = newAccount()
      expect(await run((l) => l.memberLimits(accountId))).toEqual({ accountId, default: null, members: {}, usage: [] })
      await run((l) => l.setMemberLimits({ accountId, default: { credits: 10, period: "day" } }))
      await run((l) => l.topUp({ accountId, amount: 100 }))
      await run((l) => l.spend({ accountId, amount: 10, member: "ana" }))
      expect(await run((l) => l.memberLimits(accountId))).toMatchObject({
        default: { credits: 10, period: "day" },
        usage: [{ member: "ana", used: 10 }],
      })
      // Replaced limits keep the usage: a raised limit leaves room for what is left of it.
      await run((l) => l.setMemberLimits({ accountId, default: { credits: 15, period: "day" } }))
      expect(await fails((l) => l.spend({ accountId, amount: 6, member: "ana" }))).toMatchObject({ used: 10 })
      expect(await run((l) => l.removeMemberLimits(accountId))).toEqual({
        accountId,
        default: null,
        members: {},
        usage: [],
      })
      await run((l) => l.spend({ accountId, amount: 50, member: "ana" }))
      expect(
        await fails((l) => l.setMemberLimits({ accountId, default: { credits: 0, period: "day" } })),
      ).toMatchObject({ _tag: "InvalidRequest" })
      expect(
        await fails((l) => l.setMemberLimits({ accountId, default: { credits: 5, period: "hour" as "day" } })),
      ).toMatchObject({ _tag: "InvalidRequest" })
      expect(await fails((l) => l.memberLimits("not an id"))).toMatchObject({ _tag: "InvalidRequest" })
    })

    test("a spend naming a member of a wallet without limits answers like any spend", async () => {
      const accountId = await wallet(100)
      const first = await run((l) => l.spend({ accountId, amount: 10, member: "ana", idempotencyKey: "s1" }))
      const retry = await run((l) => l.spend({ accountId, amount: 10, member: "ana", idempotencyKey: "s1" }))
      expect(retry).toEqual({ ...first, replayed: true })
      expect(JSON.stringify(retry.entry)).toBe(JSON.stringify(first.entry))
      const conflict = await fails((l) => l.spend({ accountId, amount: 10, member: "bo", idempotencyKey: "s1" }))
      expect(conflict).toMatchObject({ _tag: "IdempotencyConflict" })
      expect(await run((l) => l.memberLimits(accountId))).toMatchObject({ usage: [] })
    })
  })
