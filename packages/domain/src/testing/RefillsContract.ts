import * as Effect from "effect/Effect"
import { describe, expect, test } from "vitest"
import { accountFeed } from "./AccountFeed.ts"
import type { ContractContext } from "./ContractContext.ts"

const day = 24 * 60 * 60 * 1000

/**
 * Periodic refills, after the origin's monthly refill "up to" a value: a `grant` with the ceiling,
 * once per account and period, whoever runs them and however late.
 */
export const refillsContract = (context: ContractContext) =>
  describe("periodic refills", () => {
    const { run, newAccount, clock } = context
    const feed = accountFeed(context)

    const grants = async (accountId: string) =>
      (await run((l) => l.entries({ accountId, kind: "grant" }))).entries.map((e) => e.amount)

    const monthly = async (balance: number) => {
      const accountId = newAccount()
      if (balance > 0) await run((l) => l.topUp({ accountId, amount: balance }))
      const status = await run((l) =>
        l.configureRefill({ accountId, amount: 1000, ceiling: 1000, schedule: { period: "monthly", dayOfMonth: 1 } }),
      )
      return { accountId, status }
    }

    test("a monthly refill up to a value grants what the ceiling leaves room for, once per period", async () => {
      const { accountId, status } = await monthly(200)
      expect(status).toMatchObject({
        accountId,
        enabled: true,
        amount: 1000,
        ceiling: 1000,
        schedule: { period: "monthly", dayOfMonth: 1 },
        lastPeriodStart: null,
      })
      const start = await feed.end()
      await run((l) => l.runDueRefills)
      await run((l) => l.runDueRefills)
      const { entries } = await run((l) => l.entries({ accountId }))
      expect(entries[0]).toMatchObject({
        kind: "grant",
        decision: "Clamped",
        requested: 1000,
        amount: 800,
        balanceAfter: 1000,
      })
      expect(entries).toHaveLength(2)
      const now = new Date(clock.nowMs())
      const periodStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1))
      expect(entries[0]!.reference).toBe(`refill:${periodStart.toISOString().slice(0, 10)}`)
      expect(await run((l) => l.refill(accountId))).toMatchObject({ lastPeriodStart: periodStart.toISOString() })
      const events = await feed.eventsOf(accountId, start, 1)
      expect(events).toMatchObject([
        {
          type: "refill.applied",
          data: {
            periodStart: periodStart.toISOString(),
            decision: "Clamped",
            requested: 1000,
            amount: 800,
            balanceAfter: 1000,
            entrySequence: 2,
          },
        },
      ])
    })

    test("the next period refills again; a balance at the ceiling settles its period with nothing granted", async () => {
      const { accountId } = await monthly(0)
      await run((l) => l.runDueRefills)
      expect(await grants(accountId)).toEqual([1000])
      clock.advance(32 * day)
      await run((l) => l.runDueRefills)
      expect(await grants(accountId)).toEqual([1000])
      await run((l) => l.spend({ accountId, amount: 300 }))
      await run((l) => l.runDueRefills)
      expect(await grants(accountId)).toEqual([1000])
      clock.advance(32 * day)
      await run((l) => l.runDueRefills)
      expect(await grants(accountId)).toEqual([300, 1000])
      expect(await run((l) => l.balance(accountId))).toBe(1000)
    })

    test("after downtime a late refill happens once, not once per missed period", async () => {
      const { accountId } = await monthly(0)
      await run((l) => l.runDueRefills)
      await run((l) => l.spend({ accountId, amount: 1000 }))
      clock.advance(100 * day)
      await run((l) => l.runDueRefills)
      await run((l) => l.runDueRefills)
      expect(await grants(accountId)).toEqual([1000, 1000])
    })

    test("concurrent runs refill an account once per period", async () => {
      const { accountId } = await monthly(0)
      await run((l) =>
        Effect.all(
          Array.from({ length: 8 }, () => l.runDueRefills),
          { concurrency: "unbounded" },
        ),
      )
      expect(await grants(accountId)).toEqual([1000])
      expect((await run((l) => l.audit)).violations).toEqual([])
    })

    test("without a ceiling the whole amount comes every period; weekly and daily schedules too", async () => {
      const accountId = newAccount()
      await run((l) => l.configureRefill({ accountId, amount: 70, schedule: { period: "daily" } }))
      await run((l) => l.runDueRefills)
      clock.advance(day)
      await run((l) => l.runDueRefills)
      expect(await grants(accountId)).toEqual([70, 70])
      const weekly = newAccount()
      await run((l) => l.configureRefill({ accountId: weekly, amount: 5, schedule: { period: "weekly", weekday: 1 } }))
      await run((l) => l.runDueRefills)
      clock.advance(8 * day)
      await run((l) => l.runDueRefills)
      expect(await grants(weekly)).toEqual([5, 5])
    })

    test("a disabled refill grants nothing, and changing the settings within a period does not refill it again", async () => {
      const accountId = newAccount()
      await run((l) =>
        l.configureRefill({ accountId, amount: 50, schedule: { period: "monthly", dayOfMonth: 1 }, enabled: false }),
      )
      await run((l) => l.runDueRefills)
      expect(await grants(accountId)).toEqual([])
      expect(await run((l) => l.refill(accountId))).toMatchObject({ enabled: false, nextRefillAt: null })
      await run((l) => l.configureRefill({ accountId, amount: 50, schedule: { period: "monthly", dayOfMonth: 1 } }))
      await run((l) => l.runDueRefills)
      await run((l) => l.configureRefill({ accountId, amount: 80, schedule: { period: "monthly", dayOfMonth: 1 } }))
      await run((l) => l.runDueRefills)
      expect(await grants(accountId)).toEqual([50])
      const status = await run((l) => l.refill(accountId))
      expect(Date.parse(status.nextRefillAt!)).toBeGreaterThan(clock.nowMs())
    })

    test("an account never configured has no refill, and refill settings are validated", async () => {
      const accountId = newAccount()
      expect(await run((l) => l.refill(accountId))).toEqual({
        accountId,
        enabled: false,
        amount: null,
        ceiling: null,
        schedule: null,
        lastPeriodStart: null,
        nextRefillAt: null,
      })
      const invalid: Array<Record<string, unknown>> = [
        { amount: 0, schedule: { period: "daily" } },
        { amount: 5, schedule: { period: "monthly", dayOfMonth: 32 } },
        { amount: 5, schedule: { period: "weekly", weekday: 0 } },
        { amount: 5, schedule: { period: "yearly" } },
      ]
      for (const bad of invalid) {
        const error = await run((l) => Effect.flip(l.configureRefill({ accountId, ...bad } as never)))
        expect(error._tag).toBe("InvalidRequest")
      }
    })
  })
