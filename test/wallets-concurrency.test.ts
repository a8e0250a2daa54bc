import { Effect, Result } from "effect"
import { describe, expect, test } from "vitest"
import { shiftedClock } from "./support/ShiftedClock.ts"
import { concurrencySetups, twoProcesses } from "./support/TwoProcesses.ts"

/**
 * Member limits under concurrency on a real PostgreSQL: two ledgers on two pools stand for two
 * processes. 64 spends of three members (and some naming none) race on one wallet whose balance is
 * ample, so only the members' limits refuse; no member passes its limit, no refusal was needless, and
 * the members' usage, totals and entries agree.
 */
const dayMs = 24 * 60 * 60 * 1000

/** 01:00 UTC of the next day, so every spend of the test falls in one day whatever the time. */
const nextDay = shiftedClock(Math.floor(Date.now() / dayMs) * dayMs + dayMs + dayMs / 24 - Date.now())

const limits = { ana: 600, bo: 500, cy: 300 } as const
type Member = keyof typeof limits
const members: ReadonlyArray<Member | undefined> = ["ana", "bo", "cy", undefined]

describe.each(concurrencySetups)("spends racing member limits across two processes, %s", (name, isolation, options) => {
  const setup = name.replace(/[^A-Za-z]/g, "")
  const run = twoProcesses(isolation, options)

  test("member limits hold under 64 concurrent spends, and no spend was refused while its member had room", async () => {
    const accountId = `wallet-race-${setup}`
    await run((l) => l.topUp({ accountId, amount: 1_000_000 }), 0, nextDay)
    await run(
      (l) =>
        l.setMemberLimits({
          accountId,
          default: { credits: limits.cy, period: "day" },
          members: { ana: { credits: limits.ana, period: "day" }, bo: { credits: limits.bo, period: "day" } },
        }),
      1,
      nextDay,
    )
    const spends = Array.from({ length: 64 }, (_, i) => {
      const member = members[i % members.length]
      const amount = 37 + ((i * 13) % 50)
      const spend = run(
        (l) => Effect.result(l.spend({ accountId, amount, ...(member === undefined ? {} : { member }) })),
        i % 2,
        nextDay,
      )
      return spend.then((result) => ({ member, amount, result }))
    })
    const outcomes = await Promise.all(spends)
    const used = (member: Member) =>
      outcomes.filter((o) => o.member === member && Result.isSuccess(o.result)).reduce((sum, o) => sum + o.amount, 0)
    for (const member of Object.keys(limits) as Array<Member>) {
      expect(used(member)).toBeLessThanOrEqual(limits[member])
      const refused = outcomes.filter((o) => o.member === member && Result.isFailure(o.result))
      // Each member's spends ask for more than its limit: some are refused...
      expect(refused.length).toBeGreaterThan(0)
      for (const { amount, result } of refused) {
        expect(Result.isFailure(result) && result.failure).toMatchObject({ _tag: "MemberLimitExceeded", member })
        // ...and each only when its amount would have passed the limit on top of what the member used in the end.
        expect(used(member) + amount).toBeGreaterThan(limits[member])
      }
    }
    expect(outcomes.filter((o) => o.member === undefined).every((o) => Result.isSuccess(o.result))).toBe(true)
    const status = await run((l) => l.memberLimits(accountId), 0, nextDay)
    expect(Object.fromEntries(status.usage.map((u) => [u.member, u.used]))).toEqual({
      ana: used("ana"),
      bo: used("bo"),
      cy: used("cy"),
    })
    const totals = await run((l) => l.totals({ accountId, groupBy: "member" }), 1)
    const usage = totals.filter((t) => t.kind === "usage")
    expect(usage.map((t) => [t.member, -t.amount])).toEqual([
      [null, BigInt(outcomes.filter((o) => o.member === undefined).reduce((sum, o) => sum + o.amount, 0))],
      ["ana", BigInt(used("ana"))],
      ["bo", BigInt(used("bo"))],
      ["cy", BigInt(used("cy"))],
    ])
    expect((await run((l) => l.audit)).violations).toEqual([])
  })
})
