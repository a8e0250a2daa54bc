import * as fc from "fast-check"
import { describe, expect, test } from "vitest"
import type { Ledger } from "../Ledger.ts"
import { Limits } from "../Limits.ts"
import type { Run } from "../runs/Run.ts"
import type { ContractContext } from "./ContractContext.ts"

const hour = 3_600_000

/** History by run: entries grouped by reference, whole runs per page, totals over every entry. */
export const runsContract = ({ run, fails, newAccount, clock }: ContractContext) =>
  describe("history by run", () => {
    /** Every run of the account, a page at a time. */
    const allRuns = async (request: Omit<Parameters<Ledger["Service"]["runs"]>[0], "cursor">) => {
      const runs: Array<Run> = []
      let cursor: string | undefined
      do {
        const page = await run((l) => l.runs({ ...request, ...(cursor === undefined ? {} : { cursor }) }))
        expect(page.runs.length).toBeLessThanOrEqual(request.limit ?? Limits.runsPageSizeDefault)
        runs.push(...page.runs)
        // Each page holds at least one run: a store whose cursor repeats runs would page forever.
        if (page.runs.length === 0 && page.nextCursor !== null) throw new Error("an empty page with a cursor")
        if (runs.length > Limits.entriesPageSizeMax) throw new Error("paging does not end")
        cursor = page.nextCursor ?? undefined
      } while (cursor !== undefined)
      return runs
    }

    test("groups entries by reference, newest run first; entries without a reference belong to no run", async () => {
      const accountId = newAccount()
      await run((l) => l.topUp({ accountId, amount: 1000 }))
      const { entry: first } = await run((l) => l.spend({ accountId, amount: 30, reference: "run-a" }))
      clock.advance(hour)
      await run((l) => l.spend({ accountId, amount: 40, reference: "run-b" }))
      await run((l) => l.hold({ accountId, amount: 100, reference: "run-a", idempotencyKey: "h" }))
      await run((l) => l.capture({ accountId, holdId: 1, amount: 70, idempotencyKey: "c" }))
      const { entry: last } = await run((l) =>
        l.refund({ accountId, sequence: 1, amount: 10, reason: "fee back", reference: "run-a" }),
      )
      const { runs, nextCursor } = await run((l) => l.runs({ accountId }))
      expect(nextCursor).toBeNull()
      expect(runs.map((r) => r.reference)).toEqual(["run-a", "run-b"])
      const [a, b] = runs
      expect(a).toMatchObject({
        total: -110n,
        entries: 3,
        kinds: [
          { kind: "refund", entries: 1, amount: -10n },
          { kind: "usage", entries: 2, amount: -100n },
        ],
        firstAt: first.createdAt,
        lastAt: last.createdAt,
        lastSequence: 5,
        more: false,
      })
      expect(a!.details.map((e) => e.sequence)).toEqual([5, 4, 2])
      expect(b).toMatchObject({ total: -40n, entries: 1, lastSequence: 3, more: false })
      expect(b!.details).toEqual([expect.objectContaining({ sequence: 3, reference: "run-b", amount: -40 })])
      expect(await run((l) => l.runs({ accountId: newAccount() }))).toEqual({ runs: [], nextCursor: null })
    })

    test("a page holds whole runs; details are bounded and say when there are more", async () => {
      const accountId = newAccount()
      await run((l) => l.topUp({ accountId, amount: 1000 }))
      for (const reference of ["r1", "r2", "r1", "r3", "r1", "r2"]) {
        await run((l) => l.spend({ accountId, amount: 10, reference }))
      }
      const first = await run((l) => l.runs({ accountId, limit: 2, details: 1 }))
      expect(first.runs.map((r) => [r.reference, r.entries, r.total, r.details.length, r.more])).toEqual([
        ["r2", 2, -20n, 1, true],
        ["r1", 3, -30n, 1, true],
      ])
      expect(first.runs[1]!.details[0]!.sequence).toBe(6)
      const second = await run((l) => l.runs({ accountId, limit: 2, details: 1, cursor: first.nextCursor! }))
      expect(second.runs.map((r) => [r.reference, r.entries, r.more])).toEqual([["r3", 1, false]])
      expect(second.nextCursor).toBeNull()
      const none = await run((l) => l.runs({ accountId, details: 0 }))
      expect(none.runs.map((r) => [r.reference, r.details.length, r.more, r.total])).toEqual([
        ["r2", 0, true, -20n],
        ["r1", 0, true, -30n],
        ["r3", 0, true, -10n],
      ])
    })

    test("filters by kind and time select the entries before they are grouped", async () => {
      const accountId = newAccount()
      await run((l) => l.topUp({ accountId, amount: 1000, reference: "r1" }))
      await run((l) => l.spend({ accountId, amount: 100, reference: "r1" }))
      clock.advance(hour)
      const from = new Date(clock.nowMs()).toISOString()
      const { entry: r1Late } = await run((l) => l.spend({ accountId, amount: 50, reference: "r1" }))
      const { entry: r2 } = await run((l) => l.spend({ accountId, amount: 5, reference: "r2" }))
      const usage = await run((l) => l.runs({ accountId, kind: "usage" }))
      expect(usage.runs.map((r) => [r.reference, r.entries, r.total])).toEqual([
        ["r2", 1, -5n],
        ["r1", 2, -150n],
      ])
      const late = await run((l) => l.runs({ accountId, from }))
      expect(late.runs.map((r) => [r.reference, r.entries, r.total, r.firstAt])).toEqual([
        ["r2", 1, -5n, r2.createdAt],
        ["r1", 1, -50n, r1Late.createdAt],
      ])
      const early = await run((l) => l.runs({ accountId, to: from }))
      expect(early.runs.map((r) => [r.reference, r.total, r.kinds.map((k) => k.kind)])).toEqual([
        ["r1", 900n, ["top-up", "usage"]],
      ])
    })

    test("a total is exact past 2^53 - 1", async () => {
      const accountId = newAccount()
      const max = Number.MAX_SAFE_INTEGER
      await run((l) => l.topUp({ accountId, amount: max, reference: "big" }))
      await run((l) => l.spend({ accountId, amount: max, reference: "drain" }))
      await run((l) => l.topUp({ accountId, amount: max, reference: "big" }))
      const { runs } = await run((l) => l.runs({ accountId }))
      expect(runs.find((r) => r.reference === "big")?.total).toBe(2n * BigInt(max))
    })

    test("a cursor serves only the account and filters it came from; bad bounds are refused", async () => {
      const accountId = newAccount()
      await run((l) => l.topUp({ accountId, amount: 100 }))
      await run((l) => l.spend({ accountId, amount: 1, reference: "r1" }))
      await run((l) => l.spend({ accountId, amount: 1, reference: "r2" }))
      const { nextCursor } = await run((l) => l.runs({ accountId, limit: 1 }))
      expect(nextCursor).not.toBeNull()
      for (const request of [
        { accountId, cursor: nextCursor!, kind: "usage" as const },
        { accountId: newAccount(), cursor: nextCursor! },
        { accountId, cursor: "not-a-cursor" },
        { accountId, details: Limits.runDetailsMax + 1 },
        { accountId, limit: 0 },
      ]) {
        expect(await fails((l) => l.runs(request))).toMatchObject({ _tag: "InvalidRequest" })
      }
      const entriesCursor = (await run((l) => l.entries({ accountId, limit: 1 }))).nextCursor!
      expect(await fails((l) => l.runs({ accountId, cursor: entriesCursor }))).toMatchObject({
        _tag: "InvalidRequest",
      })
    })

    test("property: a run's total is the sum of its entries, whatever the page size and detail bound", async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.tuple(fc.constantFrom("a", "b", "c", "d", null), fc.integer({ min: 1, max: 50 }), fc.boolean()), {
            minLength: 1,
            maxLength: 12,
          }),
          fc.integer({ min: 1, max: 4 }),
          fc.integer({ min: 0, max: 3 }),
          async (writes, limit, details) => {
            const accountId = newAccount()
            await run((l) => l.topUp({ accountId, amount: 1_000_000 }))
            for (const [reference, amount, credit] of writes) {
              const request = { accountId, amount, ...(reference === null ? {} : { reference: `run-${reference}` }) }
              await run((l) => (credit ? l.topUp(request) : l.spend(request)))
            }
            const runs = await allRuns({ accountId, limit, details })
            const references = [...new Set(writes.flatMap(([r]) => (r === null ? [] : [`run-${r}`])))]
            expect(runs.map((r) => r.reference).sort()).toEqual(references.sort())
            const history = await run((l) => l.entries({ accountId, limit: Limits.entriesPageSizeMax }))
            for (const r of runs) {
              const own = history.entries.filter((e) => e.reference === r.reference)
              expect(r.total).toBe(own.reduce((sum, e) => sum + BigInt(e.amount), 0n))
              expect(r.entries).toBe(own.length)
              expect(r.details).toEqual(own.slice(0, details))
              expect(r.more).toBe(own.length > details)
            }
            expect(runs.map((r) => r.lastSequence)).toEqual(runs.map((r) => r.lastSequence).sort((x, y) => y - x))
          },
        ),
        { numRuns: 15 },
      )
    })
  })
