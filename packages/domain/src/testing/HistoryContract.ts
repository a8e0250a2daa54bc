import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { describe, expect, test } from "vitest"
import type { Entry } from "../Entry.ts"
import type { ContractContext } from "./ContractContext.ts"
import { readPages } from "./Pages.ts"

const hour = 3_600_000

/** History queries: time ranges, references, totals, ledger-wide search and export. */
export const historyContract = ({ run, fails, newAccount, clock }: ContractContext) =>
  describe("history", () => {
    const unique = () => `ref-${newAccount()}`

    test("entries filter by time range: from included, to excluded", async () => {
      const accountId = newAccount()
      const { entry: first } = await run((l) => l.topUp({ accountId, amount: 10 }))
      clock.advance(hour)
      const { entry: second } = await run((l) => l.topUp({ accountId, amount: 20 }))
      clock.advance(hour)
      await run((l) => l.spend({ accountId, amount: 5 }))
      const sequences = async (filter: { from?: string; to?: string }) =>
        (await run((l) => l.entries({ accountId, ...filter }))).entries.map((e) => e.sequence)
      expect(await sequences({ from: second.createdAt })).toEqual([3, 2])
      expect(await sequences({ to: second.createdAt })).toEqual([1])
      expect(await sequences({ from: first.createdAt, to: second.createdAt })).toEqual([1])
      expect(await sequences({ from: new Date(Date.parse(second.createdAt) + 1).toISOString() })).toEqual([3])
      expect(await fails((l) => l.entries({ accountId, from: "2026-01-31T12:00:00" }))).toMatchObject({
        _tag: "InvalidRequest",
      })
    })

    test("entries filter by the reference set on writes, and totals add them up per kind", async () => {
      const accountId = newAccount()
      const run1 = unique()
      await run((l) => l.topUp({ accountId, amount: 1000, reference: "order-1" }))
      await run((l) => l.spend({ accountId, amount: 30, reference: run1 }))
      await run((l) => l.spend({ accountId, amount: 40, reference: "other-run" }))
      await run((l) => l.hold({ accountId, amount: 100, reference: run1, idempotencyKey: "h" }))
      await run((l) => l.capture({ accountId, holdId: 1, amount: 70, idempotencyKey: "c" }))
      const { entries } = await run((l) => l.entries({ accountId, reference: run1 }))
      expect(entries.map((e) => [e.kind, e.amount, e.holdId])).toEqual([
        ["usage", -70, 1],
        ["usage", -30, null],
      ])
      expect(await run((l) => l.totals({ accountId, reference: run1 }))).toEqual([
        { kind: "usage", entries: 2, amount: -100n },
      ])
      expect(await run((l) => l.totals({ accountId }))).toEqual([
        { kind: "top-up", entries: 1, amount: 1000n },
        { kind: "usage", entries: 3, amount: -140n },
      ])
    })

    test("totals over a time range count only the entries in it", async () => {
      const accountId = newAccount()
      await run((l) => l.topUp({ accountId, amount: 100 }))
      clock.advance(hour)
      const from = new Date(clock.nowMs()).toISOString()
      await run((l) => l.spend({ accountId, amount: 10 }))
      await run((l) => l.topUp({ accountId, amount: 5, kind: "grant" }))
      expect(await run((l) => l.totals({ accountId, from }))).toEqual([
        { kind: "grant", entries: 1, amount: 5n },
        { kind: "usage", entries: 1, amount: -10n },
      ])
      expect(await run((l) => l.totals({ accountId, to: from }))).toEqual([
        { kind: "top-up", entries: 1, amount: 100n },
      ])
    })

    test("operators list accounts by last activity, newest first, a page at a time, and by the start of their id", async () => {
      const start = newAccount()
      // `_` is a wildcard in SQL's LIKE: a prefix ending in it must not match `${start}x...`.
      const [a, b, c] = [`${start}_a`, `${start}_b`, `${start}xc`]
      await run((l) => l.topUp({ accountId: a, amount: 10 }))
      clock.advance(1_000)
      await run((l) => l.topUp({ accountId: b, amount: 20 }))
      clock.advance(1_000)
      await run((l) => l.topUp({ accountId: c, amount: 30 }))
      clock.advance(1_000)
      const { entry: spent } = await run((l) => l.spend({ accountId: a, amount: 4 }))
      clock.advance(1_000)
      // A hold appends no entry: it changes what is held, not the last activity.
      await run((l) => l.hold({ accountId: b, amount: 5, idempotencyKey: "h" }))
      await run((l) => l.updateSettings({ accountId: `${start}_settings-only`, overdraftLimit: 5 }))

      const listed = await run((l) => l.accounts({ prefix: start }))
      expect(listed.nextCursor).toBeNull()
      expect(listed.accounts.map((account) => account.accountId)).toEqual([a, c, b])
      expect(listed.accounts[0]).toEqual({
        accountId: a,
        balance: 6,
        held: 0,
        available: 6,
        entries: 2,
        lastEntryAt: spent.createdAt,
      })
      expect(listed.accounts[2]).toMatchObject({ accountId: b, balance: 20, held: 5, available: 15, entries: 1 })
      expect((await run((l) => l.accounts({ prefix: `${start}_` }))).accounts.map((x) => x.accountId)).toEqual([a, b])

      const pages = await readPages("accounts", 4, (cursor) =>
        run((l) => l.accounts({ prefix: start, limit: 1, ...(cursor === undefined ? {} : { cursor }) })),
      )
      expect(pages.flatMap((page) => page.accounts.map((account) => account.accountId))).toEqual([a, c, b])

      expect(await fails((l) => l.accounts({ cursor: "not-a-cursor" }))).toMatchObject({ _tag: "InvalidRequest" })
      expect(await fails((l) => l.accounts({ prefix: "no spaces" }))).toMatchObject({ _tag: "InvalidRequest" })
    })

    test("operators search entries across accounts, newest first, a page at a time", async () => {
      const reference = unique()
      const [a, b] = [newAccount(), newAccount()]
      const written: Array<Entry> = []
      for (let i = 0; i < 5; i++) {
        written.push((await run((l) => l.topUp({ accountId: i % 2 === 0 ? a : b, amount: i + 1, reference }))).entry)
        clock.advance(1_000)
      }
      written.push((await run((l) => l.spend({ accountId: a, amount: 1, reference }))).entry)
      const pages = await readPages("search", 4, (cursor) =>
        run((l) => l.search({ reference, limit: 2, ...(cursor === undefined ? {} : { cursor }) })),
      )
      expect(pages.flatMap((page) => page.entries)).toEqual([...written].reverse())
      const usage = await run((l) => l.search({ reference, kind: "usage" }))
      expect(usage.entries).toEqual([written[5]])
      const ofB = await run((l) => l.search({ reference, accountId: b }))
      expect(ofB.entries.map((e) => e.amount)).toEqual([4, 2])
      expect(await fails((l) => l.search({ cursor: "bm90LW91cnM" }))).toMatchObject({ _tag: "InvalidRequest" })
    })

    test("an export streams every matching entry, oldest first", async () => {
      const reference = unique()
      const accountId = newAccount()
      for (let i = 1; i <= 7; i++) await run((l) => l.topUp({ accountId, amount: i, reference }))
      await run((l) => l.spend({ accountId, amount: 3 }))
      const exported = await run((l) =>
        l.exportEntries({ reference }).pipe(Effect.flatMap((entries) => Stream.runCollect(entries))),
      )
      expect(exported.map((e) => e.amount)).toEqual([1, 2, 3, 4, 5, 6, 7])
      const ofAccount = await run((l) =>
        l.exportEntries({ accountId }).pipe(Effect.flatMap((entries) => Stream.runCollect(entries))),
      )
      expect(ofAccount.map((e) => e.sequence)).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
      expect(await fails((l) => l.exportEntries({ to: "yesterday" }))).toMatchObject({ _tag: "InvalidRequest" })
    })
  })
