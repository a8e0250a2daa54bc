import type { PgLedgerStore } from "@tally/adapters"
import { Ledger } from "@tally/domain"
import { Clock, Effect, Layer, ManagedRuntime } from "effect"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import * as FaultProxy from "./support/FaultProxy.ts"
import { shiftedClock } from "./support/ShiftedClock.ts"
import { createDatabase, pgStore } from "./support/TestDatabase.ts"

/**
 * A member-limited spend whose COMMIT is cut, the answer lost after the write landed or the COMMIT
 * never reaching the server: the spend is applied once, and counted against its member once.
 */

const setups: Array<[string, Partial<PgLedgerStore.Options>]> = [
  ["the locked batch", { soloWrites: false }],
  ["compare-and-swap statements", {}],
]

const dayMs = 24 * 60 * 60 * 1000
/** 01:00 UTC of the next day, so the test's writes share one day whatever the time. */
const nextDay = shiftedClock(Math.floor(Date.now() / dayMs) * dayMs + dayMs + dayMs / 24 - Date.now())

describe.each(setups)("a member-limited spend whose COMMIT is cut, on %s", (name, options) => {
  let proxy: FaultProxy.FaultProxy
  let ledger: ManagedRuntime.ManagedRuntime<Ledger, unknown>
  beforeAll(async () => {
    const url = new URL(await createDatabase())
    proxy = await FaultProxy.start({ host: url.hostname, port: Number(url.port) })
    url.port = String(proxy.port)
    ledger = ManagedRuntime.make(Ledger.layer.pipe(Layer.provide(pgStore(url.toString(), 4, options))))
  })
  afterAll(async () => {
    await ledger.dispose()
    await proxy.close()
  })

  const run = <A, E>(body: (l: Ledger["Service"]) => Effect.Effect<A, E>) =>
    ledger.runPromise(Effect.flatMap(Ledger, body).pipe(Effect.provideService(Clock.Clock, nextDay)))
  let accounts = 0
  const newAccount = () => `cut-wallet-${name.replace(/[^a-z]/g, "")}-${accounts++}`

  test.each([
    [true, true],
    [true, false],
    [false, true],
    [false, false],
  ])("is applied and counted once (delivered: %s, keyed: %s)", async (deliver, keyed) => {
    const accountId = newAccount()
    await run((l) => l.topUp({ accountId, amount: 1000 }))
    await run((l) => l.setMemberLimits({ accountId, members: { ana: { credits: 300, period: "day" } } }))
    const cutsBefore = proxy.cuts()
    // The spend counts against its member: it changes the account's members, so it takes the locked path.
    proxy.arm({ deliver, match: FaultProxy.isCommit })
    const posting = await run((l) =>
      l.spend({ accountId, amount: 200, member: "ana", ...(keyed ? { idempotencyKey: "spend-1" } : {}) }),
    )
    expect(proxy.cuts()).toBe(cutsBefore + 1)
    expect(posting).toMatchObject({ replayed: false, entry: { sequence: 2, amount: -200, member: "ana" } })
    const { entries } = await run((l) => l.entries({ accountId }))
    expect(entries.map((e) => e.sequence)).toEqual([2, 1])
    expect(entries[0]).toEqual(posting.entry)
    expect(await run((l) => l.memberLimits(accountId))).toMatchObject({ usage: [{ member: "ana", used: 200 }] })
    expect(await run((l) => Effect.flip(l.spend({ accountId, amount: 101, member: "ana" })))).toMatchObject({
      _tag: "MemberLimitExceeded",
      used: 200,
    })
    await run((l) => l.spend({ accountId, amount: 100, member: "ana" }))
    expect((await run((l) => l.audit)).violations).toEqual([])
  })
})
