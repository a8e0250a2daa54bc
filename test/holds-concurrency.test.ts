import { Effect } from "effect"
import { describe, expect, test } from "vitest"
import { shiftedClock } from "./support/ShiftedClock.ts"
import { concurrencySetups, togetherOn, twoProcesses } from "./support/TwoProcesses.ts"

/**
 * Holds under concurrency on a real PostgreSQL: two ledgers on two pools stand for two processes.
 * Captures, releases, spends and expiry race for one hold or the last credits; each hold resolves
 * once and the account's held, balance and entries stay exact.
 */
const hourMs = 3_600_000

/** A clock an hour ahead: the second process sees every short deadline passed. */
const anHourLater = shiftedClock(hourMs)

describe.each(concurrencySetups)("holds racing across two processes, %s", (name, isolation, options) => {
  const setup = name.replace(/[^A-Za-z]/g, "")
  const run = twoProcesses(isolation, options)

  const together = togetherOn(run)

  const expectCleanAudit = async () => expect((await run((l) => l.audit)).violations).toEqual([])

  test("a process never spends credits the other process has held since it last saw the account", async () => {
    const accountId = `held-elsewhere-${setup}`
    await run((l) => l.topUp({ accountId, amount: 100 }), 0)
    await run((l) => l.spend({ accountId, amount: 10 }), 0)
    // A hold changes the account without an entry: the first process's last state is stale.
    await run((l) => l.hold({ accountId, amount: 80, idempotencyKey: "elsewhere" }), 1)
    expect(await run((l) => Effect.flip(l.spend({ accountId, amount: 50 })), 0)).toMatchObject({
      _tag: "InsufficientCredits",
      held: 80,
    })
    await run((l) => l.spend({ accountId, amount: 10 }), 0)
    expect(await run((l) => l.balances(accountId), 1)).toEqual({
      balance: 80,
      held: 80,
      available: 0,
      expiresNext: null,
    })
    await expectCleanAudit()
  })

  test("concurrent captures and releases of one hold resolve it once", async () => {
    const accountId = `one-hold-${setup}`
    await run((l) => l.topUp({ accountId, amount: 5_000 }))
    await run((l) => l.hold({ accountId, amount: 1_000, idempotencyKey: "run" }))
    const results = await together(60, (l, i) =>
      i % 10 === 9
        ? l.release({ accountId, holdId: 1, idempotencyKey: `release-${i}` })
        : l.capture({ accountId, holdId: 1, amount: 30, final: false, idempotencyKey: `capture-${i}` }),
    )
    const hold = await run((l) => l.getHold({ accountId, holdId: 1 }))
    const successes = results.flatMap((r) => (r._tag === "Success" ? [r.success] : []))
    const captures = successes.filter((s) => s.entry !== null)
    const releases = successes.filter((s) => s.entry === null)
    expect(hold.status).not.toBe("open")
    expect(releases).toHaveLength(hold.status === "released" ? 1 : 0)
    // The capture that finds less than 30 left takes the rest from the available balance (excess).
    expect(hold.captured + hold.excess).toBe(captures.length * 30)
    expect(new Set(captures.map((c) => c.entry!.sequence)).size).toBe(captures.length)
    expect(results.flatMap((r) => (r._tag === "Failure" ? [r.failure._tag] : []))).toEqual(
      Array(60 - successes.length).fill("HoldNotOpen"),
    )
    const charged = captures.length * 30
    expect(await run((l) => l.balances(accountId))).toEqual({
      balance: 5_000 - charged,
      held: 0,
      available: 5_000 - charged,
      expiresNext: null,
    })
    await expectCleanAudit()
  })

  test("holds and spends racing for the last credits never take more than the balance", async () => {
    const accountId = `last-credits-${setup}`
    await run((l) => l.topUp({ accountId, amount: 1_000 }))
    const results = await together<"hold" | "spend", { readonly _tag: string }>(160, (l, i) =>
      i % 2 === 0
        ? l.hold({ accountId, amount: 10, idempotencyKey: `hold-${i}` }).pipe(Effect.as("hold" as const))
        : l.spend({ accountId, amount: 10 }).pipe(Effect.as("spend" as const)),
    )
    const holds = results.filter((r) => r._tag === "Success" && r.success === "hold").length
    const spends = results.filter((r) => r._tag === "Success" && r.success === "spend").length
    expect(holds + spends).toBe(100)
    expect(
      results.filter((r) => r._tag === "Failure").map((r) => (r as { failure: { _tag: string } }).failure._tag),
    ).toEqual(Array(60).fill("InsufficientCredits"))
    expect(await run((l) => l.balances(accountId))).toEqual({
      balance: 1_000 - spends * 10,
      held: holds * 10,
      available: 0,
      expiresNext: null,
    })
    await expectCleanAudit()
  })

  test("expiry racing captures resolves each hold once, as captured or as expired", async () => {
    const accountId = `expiry-race-${setup}`
    const holdsPlaced = 24
    await run((l) => l.topUp({ accountId, amount: 10_000 }))
    for (let i = 0; i < holdsPlaced; i++) {
      await run((l) => l.hold({ accountId, amount: 100, expiresInSeconds: 60, idempotencyKey: `h-${i}` }))
    }
    // Even requests capture on time (this hour); odd ones come from a process an hour later: it
    // expires holds, or captures too late.
    const results = await together(
      holdsPlaced * 2,
      (l, i) => {
        const holdId = Math.floor(i / 2) + 1
        if (i % 2 === 0) return l.capture({ accountId, holdId, amount: 60, idempotencyKey: `c-${holdId}` })
        return i % 4 === 1
          ? l.expireHolds.pipe(Effect.as(null))
          : l.capture({ accountId, holdId, amount: 60, idempotencyKey: `late-${holdId}` })
      },
      (i) => (i % 2 === 1 ? anHourLater : undefined),
    )
    const holds = await run((l) =>
      Effect.forEach(
        Array.from({ length: holdsPlaced }, (_, i) => i + 1),
        (holdId) => l.getHold({ accountId, holdId }),
      ),
    )
    // What is still open is expired by the next pass from the later process.
    await run((l) => l.expireHolds, 1, anHourLater)
    const settled = await run((l) =>
      Effect.forEach(
        Array.from({ length: holdsPlaced }, (_, i) => i + 1),
        (holdId) => l.getHold({ accountId, holdId }),
      ),
    )
    for (const [index, hold] of settled.entries()) {
      const onTime = results[index * 2]!
      expect(["captured", "expired"]).toContain(hold.status)
      expect(hold.status === "captured").toBe(onTime._tag === "Success")
      expect(hold.captured).toBe(hold.status === "captured" ? 60 : 0)
      if (onTime._tag === "Failure") expect(["HoldNotOpen", "HoldExpired"]).toContain(onTime.failure._tag)
      const late = results[index * 2 + 1]!
      if (index % 2 === 1)
        expect(late).toMatchObject({
          _tag: "Failure",
          failure: { _tag: expect.stringMatching(/HoldExpired|HoldNotOpen/) },
        })
    }
    expect(holds.every((hold) => hold.status !== "released")).toBe(true)
    const captured = settled.filter((h) => h.status === "captured").length
    expect(await run((l) => l.balances(accountId))).toEqual({
      balance: 10_000 - captured * 60,
      held: 0,
      available: 10_000 - captured * 60,
      expiresNext: null,
    })
    await expectCleanAudit()
  })
})
