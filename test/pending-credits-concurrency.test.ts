import { Effect, type Result } from "effect"
import { describe, expect, test } from "vitest"
import { shiftedClock } from "./support/ShiftedClock.ts"
import { concurrencySetups, togetherOn, twoProcesses } from "./support/TwoProcesses.ts"

/**
 * Pending credits under concurrency on a real PostgreSQL: two ledgers on two pools stand for two
 * processes. Recordings, activations, voids and the expiry sweep race; each pending credit resolves
 * once, ids run without a gap, and the balance holds exactly what the activations credited.
 */
const hourMs = 3_600_000

/** A clock an hour ahead: the second process sees every short deadline passed. */
const anHourLater = shiftedClock(hourMs)

describe.each(concurrencySetups)("pending credits racing across two processes, %s", (name, isolation, options) => {
  const setup = name.replace(/[^A-Za-z]/g, "")
  const run = twoProcesses(isolation, options)

  const together = togetherOn(run)

  const failures = <A, E extends { readonly _tag: string }>(results: ReadonlyArray<Result.Result<A, E>>) =>
    results.flatMap((r) => (r._tag === "Failure" ? [r.failure._tag] : []))

  const expectCleanAudit = async () => expect((await run((l) => l.audit)).violations).toEqual([])

  const creditsOf = (accountId: string, count: number) =>
    run((l) =>
      Effect.forEach(
        Array.from({ length: count }, (_, i) => i + 1),
        (pendingCreditId) => l.getPendingCredit({ accountId, pendingCreditId }),
      ),
    )

  test("recordings from both processes number an account's pending credits 1 to n, once per key", async () => {
    const accountId = `numbered-${setup}`
    // 48 requests for 24 keys: each key sent twice, once from each process.
    const results = await together(48, (l, i) =>
      l.recordPendingCredit({ accountId, amount: 10, idempotencyKey: `checkout-${i % 24}` }),
    )
    expect(failures(results)).toEqual([])
    const ids = results.map((r) => (r._tag === "Success" ? r.success.pendingCredit.pendingCreditId : 0))
    for (let key = 0; key < 24; key++) expect(ids[key]).toBe(ids[key + 24])
    expect(new Set(ids).size).toBe(24)
    expect([...new Set(ids)].sort((a, b) => a - b)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1))
    expect(await run((l) => l.balances(accountId))).toEqual({ balance: 0, held: 0, available: 0, expiresNext: null })
    await expectCleanAudit()
  })

  test("activations and voids racing from both processes resolve each pending credit once", async () => {
    const accountId = `activate-void-${setup}`
    const count = 16
    for (let n = 1; n <= count; n++) {
      await run((l) => l.recordPendingCredit({ accountId, amount: 100, idempotencyKey: `checkout-${n}` }))
    }
    // Per credit: two activations with keys of their own, a keyed void and a void without a key.
    const results = await together(count * 4, (l, i) => {
      const pendingCreditId = Math.floor(i / 4) + 1
      switch (i % 4) {
        case 0:
          return l.activateCredit({ accountId, pendingCreditId, idempotencyKey: `pay-a-${pendingCreditId}` })
        case 1:
          return l.activateCredit({ accountId, pendingCreditId, idempotencyKey: `pay-b-${pendingCreditId}` })
        case 2:
          return l.voidCredit({ accountId, pendingCreditId, idempotencyKey: `void-${pendingCreditId}` })
        default:
          return l.voidCredit({ accountId, pendingCreditId })
      }
    })
    const credits = await creditsOf(accountId, count)
    for (const credit of credits) {
      const mine = results.slice((credit.pendingCreditId - 1) * 4, credit.pendingCreditId * 4)
      const won = mine.filter((r) => r._tag === "Success")
      expect(won).toHaveLength(1)
      expect(["activated", "voided"]).toContain(credit.status)
      expect(won[0]!._tag === "Success" && won[0]!.success.pendingCredit).toEqual(credit)
      expect(failures(mine)).toEqual(["PendingCreditNotPending", "PendingCreditNotPending", "PendingCreditNotPending"])
    }
    const activated = credits.filter((credit) => credit.status === "activated").length
    expect(await run((l) => l.balances(accountId))).toEqual({
      balance: activated * 100,
      held: 0,
      available: activated * 100,
      expiresNext: null,
    })
    expect((await run((l) => l.entries({ accountId }))).entries).toHaveLength(activated)
    await expectCleanAudit()
  })

  test("activations racing the expiry sweep and late activations of a process an hour later resolve each once", async () => {
    const accountId = `expiry-race-${setup}`
    const count = 24
    for (let n = 1; n <= count; n++) {
      await run((l) =>
        l.recordPendingCredit({ accountId, amount: 100, expiresInSeconds: 600, idempotencyKey: `checkout-${n}` }),
      )
    }
    // Even requests activate on time; odd ones come from a process an hour later: it sweeps, or activates too late.
    const results = await together(
      count * 2,
      (l, i) => {
        const pendingCreditId = Math.floor(i / 2) + 1
        if (i % 2 === 0)
          return l.activateCredit({ accountId, pendingCreditId, idempotencyKey: `pay-${pendingCreditId}` })
        return i % 4 === 1
          ? l.expirePendingCredits.pipe(Effect.as(null))
          : l.activateCredit({ accountId, pendingCreditId, idempotencyKey: `late-${pendingCreditId}` })
      },
      (i) => (i % 2 === 1 ? anHourLater : undefined),
    )
    // What is still pending is expired by the next pass from the later process.
    await run((l) => l.expirePendingCredits, 1, anHourLater)
    const credits = await creditsOf(accountId, count)
    for (const [index, credit] of credits.entries()) {
      const onTime = results[index * 2]!
      expect(["activated", "expired"]).toContain(credit.status)
      expect(credit.status === "activated").toBe(onTime._tag === "Success")
      if (onTime._tag === "Failure") expect(onTime.failure._tag).toBe("PendingCreditNotPending")
      const late = results[index * 2 + 1]!
      if (index % 2 === 1)
        expect(late).toMatchObject({
          _tag: "Failure",
          failure: { _tag: expect.stringMatching(/PendingCreditExpired|PendingCreditNotPending/) },
        })
    }
    const activated = credits.filter((credit) => credit.status === "activated").length
    expect(await run((l) => l.balances(accountId))).toEqual({
      balance: activated * 100,
      held: 0,
      available: activated * 100,
      expiresNext: null,
    })
    await expectCleanAudit()
  })
})
