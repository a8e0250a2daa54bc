import * as Effect from "effect/Effect"
import { describe, expect, test } from "vitest"
import { Limits } from "../Limits.ts"
import type { ContractContext } from "./ContractContext.ts"

const minute = 60_000

/** Holds: reserve, capture, release, expire; as every adapter must run them. */
export const holdsContract = ({ run, fails, newAccount, clock }: ContractContext) =>
  describe("holds", () => {
    const funded = async (balance: number) => {
      const accountId = newAccount()
      await run((l) => l.topUp({ accountId, amount: balance }))
      return accountId
    }

    test("a hold keeps the credits in the balance but takes them out of what is available", async () => {
      const accountId = await funded(1000)
      const placed = await run((l) => l.hold({ accountId, amount: 300, idempotencyKey: "h1", reference: "run-1" }))
      expect(placed).toMatchObject({
        hold: { accountId, holdId: 1, status: "open", requested: 300, amount: 300, captured: 0, reference: "run-1" },
        entry: null,
        balances: { balance: 1000, held: 300, available: 700 },
        replayed: false,
      })
      expect(await run((l) => l.balances(accountId))).toEqual({
        balance: 1000,
        held: 300,
        available: 700,
        expiresNext: null,
      })
      expect((await run((l) => l.entries({ accountId }))).entries).toHaveLength(1)
      expect(await run((l) => l.getHold({ accountId, holdId: 1 }))).toEqual(placed.hold)
    })

    test("an account's open holds list oldest first, and a hold leaves the list once captured, released or expired", async () => {
      const accountId = await funded(1000)
      for (const key of ["h1", "h2", "h3", "h4"]) {
        await run((l) => l.hold({ accountId, amount: 100, idempotencyKey: key, expiresInSeconds: 60 }))
      }
      await run((l) => l.capture({ accountId, holdId: 1, amount: 50, idempotencyKey: "c1" }))
      await run((l) => l.release({ accountId, holdId: 3, idempotencyKey: "r3" }))
      const open = await run((l) => l.openHolds(accountId))
      expect(open.map((hold) => [hold.holdId, hold.status])).toEqual([
        [2, "open"],
        [4, "open"],
      ])
      expect(open[0]).toEqual(await run((l) => l.getHold({ accountId, holdId: 2 })))
      clock.advance(2 * minute)
      await run((l) => l.expireHolds)
      expect(await run((l) => l.openHolds(accountId))).toEqual([])
      expect(await run((l) => l.openHolds(newAccount()))).toEqual([])
      expect(await fails((l) => l.openHolds("not an id"))).toMatchObject({ _tag: "InvalidRequest" })
    })

    test("spends and holds act on the available balance", async () => {
      const accountId = await funded(1000)
      await run((l) => l.hold({ accountId, amount: 800, idempotencyKey: "h1" }))
      const error = await fails((l) => l.spend({ accountId, amount: 201 }))
      expect(error).toMatchObject({ _tag: "InsufficientCredits", balance: 1000, held: 800, amount: 201, floor: 0 })
      expect(error.message).toContain("available balance 200")
      expect(await fails((l) => l.hold({ accountId, amount: 201, idempotencyKey: "h2" }))).toMatchObject({
        _tag: "InsufficientCredits",
        held: 800,
      })
      const taken = await run((l) => l.spend({ accountId, amount: 500, mode: "available" }))
      expect(taken.entry).toMatchObject({ decision: "Clamped", amount: -200, balanceAfter: 800 })
      expect(await run((l) => l.balances(accountId))).toEqual({
        balance: 800,
        held: 800,
        available: 0,
        expiresNext: null,
      })
    })

    test("a hold in available mode reserves what the floor leaves, and records what was asked", async () => {
      const accountId = await funded(100)
      await run((l) => l.updateSettings({ accountId, overdraftLimit: 50 }))
      const { hold } = await run((l) => l.hold({ accountId, amount: 400, mode: "available", idempotencyKey: "h" }))
      expect(hold).toMatchObject({ requested: 400, amount: 150 })
      expect(await run((l) => l.balances(accountId))).toEqual({
        balance: 100,
        held: 150,
        available: -50,
        expiresNext: null,
      })
      expect(
        await fails((l) => l.hold({ accountId, amount: 1, mode: "available", idempotencyKey: "h2" })),
      ).toMatchObject({ _tag: "InsufficientCredits" })
      expect(await fails((l) => l.updateSettings({ accountId, overdraftLimit: 49 }))).toMatchObject({
        _tag: "OverdraftLimitBelowDebt",
        held: 150,
      })
    })

    test("a run: hold, two captures that keep it open, release of the rest", async () => {
      const accountId = await funded(1000)
      const { hold } = await run((l) =>
        l.hold({ accountId, amount: 500, idempotencyKey: "run-7-hold", reference: "run-7" }),
      )
      const first = await run((l) =>
        l.capture({ accountId, holdId: hold.holdId, amount: 200, final: false, idempotencyKey: "run-7-step-1" }),
      )
      expect(first).toMatchObject({
        hold: { status: "open", captured: 200 },
        entry: { sequence: 2, kind: "usage", amount: -200, balanceAfter: 800, holdId: 1, reference: "run-7" },
        balances: { balance: 800, held: 300, available: 500 },
      })
      const second = await run((l) =>
        l.capture({ accountId, holdId: hold.holdId, amount: 150, final: false, idempotencyKey: "run-7-step-2" }),
      )
      expect(second.balances).toEqual({ balance: 650, held: 150, available: 500 })
      const released = await run((l) => l.release({ accountId, holdId: hold.holdId, idempotencyKey: "run-7-end" }))
      expect(released).toMatchObject({
        hold: { status: "released", amount: 500, captured: 350, excess: 0 },
        entry: null,
        balances: { balance: 650, held: 0, available: 650 },
      })
      expect(released.hold.resolvedAt).not.toBeNull()
      const { entries } = await run((l) => l.entries({ accountId }))
      expect(entries.map((e) => [e.kind, e.amount, e.balanceAfter, e.holdId])).toEqual([
        ["usage", -150, 650, 1],
        ["usage", -200, 800, 1],
        ["top-up", 1000, 1000, null],
      ])
      expect((await run((l) => l.audit)).violations).toEqual([])
    })

    test("a final capture (the default) settles what it takes and releases the rest", async () => {
      const accountId = await funded(1000)
      await run((l) => l.hold({ accountId, amount: 500, idempotencyKey: "h" }))
      const { hold, balances } = await run((l) => l.capture({ accountId, holdId: 1, amount: 120, idempotencyKey: "c" }))
      expect(hold).toMatchObject({ status: "captured", captured: 120 })
      expect(balances).toEqual({ balance: 880, held: 0, available: 880 })
    })

    test("a capture without an amount takes what the hold still reserves", async () => {
      const accountId = await funded(1000)
      await run((l) => l.hold({ accountId, amount: 500, idempotencyKey: "h" }))
      await run((l) => l.capture({ accountId, holdId: 1, amount: 100, final: false, idempotencyKey: "c1" }))
      const { hold, entry } = await run((l) => l.capture({ accountId, holdId: 1, idempotencyKey: "c2" }))
      expect(hold).toMatchObject({ status: "captured", captured: 500 })
      expect(entry).toMatchObject({ amount: -400, balanceAfter: 500 })
    })

    test("a capture of exactly what is left resolves the hold even when asked to keep it open", async () => {
      const accountId = await funded(100)
      await run((l) => l.hold({ accountId, amount: 60, idempotencyKey: "h" }))
      const { hold } = await run((l) =>
        l.capture({ accountId, holdId: 1, amount: 60, final: false, idempotencyKey: "c" }),
      )
      expect(hold.status).toBe("captured")
    })

    test("a capture beyond its hold takes the excess from what is available", async () => {
      const accountId = await funded(1000)
      await run((l) => l.hold({ accountId, amount: 300, idempotencyKey: "h1" }))
      await run((l) => l.hold({ accountId, amount: 200, idempotencyKey: "h2" }))
      const { hold, entry, balances } = await run((l) =>
        l.capture({ accountId, holdId: 1, amount: 450, final: false, idempotencyKey: "c" }),
      )
      expect(hold).toMatchObject({ status: "captured", captured: 300, excess: 150 })
      expect(entry).toMatchObject({ amount: -450, balanceAfter: 550, overdrawn: false })
      expect(balances).toEqual({ balance: 550, held: 200, available: 350 })
    })

    test("a capture beyond what is available fails whole, and with allowDebt goes through, recorded as debt", async () => {
      const accountId = await funded(100)
      await run((l) => l.hold({ accountId, amount: 80, idempotencyKey: "h" }))
      const refused = await fails((l) => l.capture({ accountId, holdId: 1, amount: 150, idempotencyKey: "c1" }))
      expect(refused).toMatchObject({ _tag: "InsufficientCredits", balance: 100, amount: 150, held: 80, floor: 0 })
      expect(await run((l) => l.getHold({ accountId, holdId: 1 }))).toMatchObject({ status: "open", captured: 0 })
      expect(await run((l) => l.balances(accountId))).toEqual({
        balance: 100,
        held: 80,
        available: 20,
        expiresNext: null,
      })
      const { hold, entry } = await run((l) =>
        l.capture({ accountId, holdId: 1, amount: 150, allowDebt: true, idempotencyKey: "c2" }),
      )
      expect(hold).toMatchObject({ status: "captured", captured: 80, excess: 70 })
      expect(entry).toMatchObject({ amount: -150, balanceAfter: -50, overdrawn: true })
      expect(await fails((l) => l.spend({ accountId, amount: 1 }))).toMatchObject({ _tag: "InsufficientCredits" })
      expect((await run((l) => l.audit)).violations).toEqual([])
    })

    test("a hold resolves once: a resolved hold cannot be captured or released again", async () => {
      const accountId = await funded(100)
      await run((l) => l.hold({ accountId, amount: 50, idempotencyKey: "h" }))
      await run((l) => l.release({ accountId, holdId: 1, idempotencyKey: "r1" }))
      expect(await fails((l) => l.release({ accountId, holdId: 1, idempotencyKey: "r2" }))).toMatchObject({
        _tag: "HoldNotOpen",
        holdId: 1,
        status: "released",
      })
      expect(await fails((l) => l.capture({ accountId, holdId: 1, amount: 10, idempotencyKey: "c" }))).toMatchObject({
        _tag: "HoldNotOpen",
      })
      expect(await fails((l) => l.capture({ accountId, holdId: 2, idempotencyKey: "c2" }))).toMatchObject({
        _tag: "HoldNotFound",
        accountId,
        holdId: 2,
      })
      expect(await fails((l) => l.getHold({ accountId, holdId: 2 }))).toMatchObject({ _tag: "HoldNotFound" })
      expect(await run((l) => l.balances(accountId))).toEqual({
        balance: 100,
        held: 0,
        available: 100,
        expiresNext: null,
      })
    })

    test("every hold operation is idempotent by its key: a retry replays the first answer", async () => {
      const accountId = await funded(1000)
      const first = await run((l) => l.hold({ accountId, amount: 100, idempotencyKey: "h" }))
      const retry = await run((l) => l.hold({ accountId, amount: 100, idempotencyKey: "h" }))
      expect(retry).toEqual({ ...first, replayed: true })
      // Printed alike too: a caller may compare the bodies as text.
      expect(JSON.stringify(retry)).toBe(JSON.stringify({ ...first, replayed: true }))
      const captured = await run((l) => l.capture({ accountId, holdId: 1, amount: 40, idempotencyKey: "c" }))
      const recaptured = await run((l) => l.capture({ accountId, holdId: 1, amount: 40, idempotencyKey: "c" }))
      expect(JSON.stringify(recaptured)).toBe(JSON.stringify({ ...captured, replayed: true }))
      expect(await fails((l) => l.capture({ accountId, holdId: 1, amount: 41, idempotencyKey: "c" }))).toMatchObject({
        _tag: "IdempotencyConflict",
      })
      expect(await fails((l) => l.hold({ accountId, amount: 100, idempotencyKey: "c" }))).toMatchObject({
        _tag: "IdempotencyConflict",
      })
      expect(await run((l) => l.balances(accountId))).toEqual({
        balance: 960,
        held: 0,
        available: 960,
        expiresNext: null,
      })
      expect((await run((l) => l.entries({ accountId }))).entries).toHaveLength(2)
    })

    test("hold operations without an idempotency key, or with a deadline past the limit, are bad input", async () => {
      const accountId = await funded(100)
      expect(await fails((l) => l.hold({ accountId, amount: 10 } as never))).toMatchObject({ _tag: "InvalidRequest" })
      const tooLong = Limits.holdExpiresInSecondsMax + 1
      expect(
        await fails((l) => l.hold({ accountId, amount: 10, expiresInSeconds: tooLong, idempotencyKey: "h" })),
      ).toMatchObject({ _tag: "InvalidRequest" })
      expect(await fails((l) => l.capture({ accountId, holdId: 0, idempotencyKey: "c" }))).toMatchObject({
        _tag: "InvalidRequest",
      })
      expect(await run((l) => l.balances(accountId))).toEqual({
        balance: 100,
        held: 0,
        available: 100,
        expiresNext: null,
      })
    })

    test("past its deadline a hold cannot be captured; the attempt releases it as expired", async () => {
      const accountId = await funded(100)
      const { hold } = await run((l) => l.hold({ accountId, amount: 70, expiresInSeconds: 60, idempotencyKey: "h" }))
      expect(Date.parse(hold.expiresAt!) - Date.parse(hold.createdAt)).toBe(minute)
      await run((l) => l.capture({ accountId, holdId: 1, amount: 10, final: false, idempotencyKey: "c1" }))
      clock.advance(minute)
      const error = await fails((l) => l.capture({ accountId, holdId: 1, amount: 10, idempotencyKey: "c2" }))
      expect(error).toMatchObject({ _tag: "HoldExpired", holdId: 1, expiresAt: hold.expiresAt })
      expect(await run((l) => l.getHold({ accountId, holdId: 1 }))).toMatchObject({ status: "expired", captured: 10 })
      expect(await run((l) => l.balances(accountId))).toEqual({
        balance: 90,
        held: 0,
        available: 90,
        expiresNext: null,
      })
      expect(await fails((l) => l.capture({ accountId, holdId: 1, amount: 10, idempotencyKey: "c2" }))).toEqual(error)
    })

    test("expireHolds releases the holds past their deadline and leaves the others", async () => {
      const accountId = await funded(1000)
      await run((l) => l.hold({ accountId, amount: 100, expiresInSeconds: 60, idempotencyKey: "soon" }))
      await run((l) => l.hold({ accountId, amount: 200, expiresInSeconds: 3600, idempotencyKey: "later" }))
      await run((l) => l.hold({ accountId, amount: 300, idempotencyKey: "never" }))
      expect((await run((l) => l.expireHolds)).expired).toBeGreaterThanOrEqual(0)
      expect(await run((l) => l.balances(accountId))).toMatchObject({ held: 600 })
      clock.advance(2 * minute)
      expect((await run((l) => l.expireHolds)).expired).toBeGreaterThanOrEqual(1)
      const statuses = await run((l) =>
        Effect.forEach([1, 2, 3], (holdId) => l.getHold({ accountId, holdId }).pipe(Effect.map((h) => h.status))),
      )
      expect(statuses).toEqual(["expired", "open", "open"])
      expect(await run((l) => l.balances(accountId))).toEqual({
        balance: 1000,
        held: 500,
        available: 500,
        expiresNext: null,
      })
      expect((await run((l) => l.audit)).violations).toEqual([])
    })

    test("a release after the deadline resolves the hold as expired", async () => {
      const accountId = await funded(100)
      await run((l) => l.hold({ accountId, amount: 70, expiresInSeconds: 1, idempotencyKey: "h" }))
      clock.advance(1_000)
      const { hold, balances } = await run((l) => l.release({ accountId, holdId: 1, idempotencyKey: "r" }))
      expect(hold.status).toBe("expired")
      expect(balances.available).toBe(100)
    })

    test("concurrent captures and releases of one hold resolve it once", async () => {
      const accountId = await funded(1000)
      await run((l) => l.hold({ accountId, amount: 500, idempotencyKey: "h" }))
      const results = await run((l) =>
        Effect.all(
          Array.from({ length: 12 }, (_, i) =>
            Effect.result(
              i % 3 === 0
                ? l.release({ accountId, holdId: 1, idempotencyKey: `r${i}` })
                : l.capture({ accountId, holdId: 1, amount: 100, final: false, idempotencyKey: `c${i}` }),
            ),
          ),
          { concurrency: "unbounded" },
        ),
      )
      const hold = await run((l) => l.getHold({ accountId, holdId: 1 }))
      const captures = results.filter((r) => r._tag === "Success" && r.success.entry !== null)
      const releases = results.filter((r) => r._tag === "Success" && r.success.entry === null)
      expect(hold.status).not.toBe("open")
      expect(releases.length).toBe(hold.status === "released" ? 1 : 0)
      expect(hold.captured).toBe(captures.length * 100)
      for (const r of results) {
        if (r._tag === "Failure") expect(r.failure._tag).toBe("HoldNotOpen")
      }
      expect(await run((l) => l.balances(accountId))).toEqual({
        balance: 1000 - hold.captured,
        held: 0,
        available: 1000 - hold.captured,
        expiresNext: null,
      })
      expect((await run((l) => l.audit)).violations).toEqual([])
    })
  })
