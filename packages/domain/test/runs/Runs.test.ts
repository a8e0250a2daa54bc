import { fc, test } from "@fast-check/vitest"
import { describe, expect } from "vitest"
import { type Entry, EntryKind, noLinks, type Run, runCsvLine, runsOf } from "../../src/index.ts"

/** An account's entries: sequence i + 1, a reference or none, any kind, amounts up to the largest safe integer. */
const history = fc
  .array(
    fc.record({
      reference: fc.constantFrom("r1", "r2", "r,3", 'r"4', null),
      kind: fc.constantFrom(...EntryKind.literals),
      amount: fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.constantFrom(Number.MAX_SAFE_INTEGER)),
      minute: fc.integer({ min: 0, max: 59 }),
    }),
    { maxLength: 40 },
  )
  .map((rows) =>
    rows.map(
      ({ reference, kind, amount, minute }, i): Entry => ({
        accountId: "a" as Entry["accountId"],
        sequence: i + 1,
        kind,
        decision: "Applied",
        requested: amount,
        amount,
        balanceAfter: 0 as Entry["balanceAfter"],
        idempotencyKey: null,
        ...noLinks,
        reference,
        metadata: {},
        createdAt: `2026-01-01T00:${String(minute).padStart(2, "0")}:00.000Z`,
      }),
    ),
  )

/** Every run, page after page, as `Ledger.runs` walks them. */
const allPages = (entries: ReadonlyArray<Entry>, limit: number, details: number) => {
  const pages: Array<ReadonlyArray<Run>> = []
  let beforeSequence: number | undefined
  while (true) {
    const page = runsOf(entries, { limit, details, beforeSequence })
    if (page.length === 0) return pages
    pages.push(page)
    // Each page holds at least one run, and there are no more runs than entries.
    if (pages.length > entries.length) throw new Error("paging does not end")
    beforeSequence = page[page.length - 1]!.lastSequence
  }
}

describe("history by run", () => {
  test.prop([history, fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 5 })])(
    "a run's total is the sum of all its entries, whatever the page size and detail bound; no run is split or repeated",
    (entries, limit, details) => {
      const runs = allPages(entries, limit, details).flat()
      const references = new Set(entries.flatMap((e) => (e.reference === null ? [] : [e.reference])))
      expect(runs.map((r) => r.reference).sort()).toEqual([...references].sort())
      for (const run of runs) {
        const own = entries.filter((e) => e.reference === run.reference)
        expect(run.total).toBe(own.reduce((sum, e) => sum + BigInt(e.amount), 0n))
        expect(run.entries).toBe(own.length)
        expect(run.kinds.reduce((sum, k) => sum + k.amount, 0n)).toBe(run.total)
        expect(run.kinds.reduce((sum, k) => sum + k.entries, 0)).toBe(run.entries)
        expect(run.details).toEqual(own.reverse().slice(0, details))
        expect(run.more).toBe(own.length > details)
        expect(run.lastSequence).toBe(Math.max(...own.map((e) => e.sequence)))
        expect(run.firstAt).toBe(own.map((e) => e.createdAt).sort()[0])
        expect(run.lastAt).toBe(
          own
            .map((e) => e.createdAt)
            .sort()
            .at(-1),
        )
      }
      const order = runs.map((r) => r.lastSequence)
      expect(order).toEqual([...order].sort((a, b) => b - a))
    },
  )

  test.prop([history])("filters pick entries before grouping: a kind's runs total only that kind", (entries) => {
    for (const run of runsOf(entries, { kind: "usage", limit: 100, details: 0 })) {
      expect(run.kinds.map((k) => k.kind)).toEqual(["usage"])
      expect(run.total).toBe(
        entries
          .filter((e) => e.reference === run.reference && e.kind === "usage")
          .reduce((sum, e) => sum + BigInt(e.amount), 0n),
      )
    }
  })

  test.prop([history])("a run as CSV is one line: quoted where its reference needs it, kinds as JSON", (entries) => {
    for (const run of runsOf(entries, { limit: 100, details: 0 })) {
      const line = runCsvLine(run)
      expect(line.endsWith("\r\n")).toBe(true)
      const quoted = /[",]/.test(run.reference)
      expect(line.startsWith(quoted ? `"${run.reference.replaceAll('"', '""')}",` : `${run.reference},`)).toBe(true)
      const kinds = JSON.parse(/,("(?:[^"]|"")*")\r\n$/.exec(line)![1]!.slice(1, -1).replaceAll('""', '"'))
      expect(Object.keys(kinds)).toEqual(run.kinds.map((k) => k.kind))
      expect(line).toContain(`,${run.total},`)
    }
  })
})
