import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { accountId } from "../AccountId.ts"
import { threshold } from "../autoTopUp/AutoTopUpSettings.ts"
import { balance } from "../Credits.ts"
import { balanceLow } from "../events/AccountEvents.ts"
import type { LedgerEvent, NewLedgerEvent } from "../events/LedgerEvent.ts"
import { Ledger } from "../Ledger.ts"
import type { LedgerStore } from "../LedgerStore.ts"
import { Limits } from "../Limits.ts"
import { movedOn } from "./AccountFeed.ts"

/**
 * Appends events as the write path does, in a transaction of its own: the feed's contract checks
 * order, paging and long-polls with it, without going through the ledger's rules. Tally never uses it.
 */
export class EventAppender extends Context.Service<
  EventAppender,
  { readonly append: (events: ReadonlyArray<NewLedgerEvent>) => Effect.Effect<ReadonlyArray<LedgerEvent>, unknown> }
>()("@tally/domain/testing/EventAppender") {}

/**
 * The event feed every storage adapter must serve, as a vitest suite: `eventFeedContract("my store",
 * layer)` with a layer of the store and an `EventAppender` writing to it. The store may hold other
 * events: each test reads from the feed's end as it finds it.
 */
export const eventFeedContract = (name: string, layer: Layer.Layer<LedgerStore | EventAppender, unknown, never>) =>
  describe(`the event feed on ${name}`, () => {
    let runtime: ManagedRuntime.ManagedRuntime<Ledger | EventAppender, unknown>
    beforeAll(() => {
      runtime = ManagedRuntime.make(Ledger.layer.pipe(Layer.provideMerge(layer)))
    })
    afterAll(() => runtime.dispose())

    const run = <A, E>(effect: Effect.Effect<A, E, Ledger | EventAppender>) => runtime.runPromise(effect)
    const read = (request: { after?: number; limit?: number; wait?: number }) =>
      run(Ledger.use((ledger) => ledger.events(request)))
    const refused = (request: { after?: number; limit?: number; wait?: number }) =>
      run(Effect.flip(Ledger.use((ledger) => ledger.events(request))))
    const append = (events: ReadonlyArray<NewLedgerEvent>) => run(EventAppender.use((log) => log.append(events)))

    let accounts = 0
    const lowEvent = (n: number) =>
      balanceLow(
        accountId(`feed-${Date.now().toString(36)}-${accounts++}`),
        new Date(1_700_000_000_000 + n).toISOString(),
        {
          threshold: threshold(100),
          availableBefore: balance(120),
          availableAfter: balance(100 - n),
          entrySequence: n + 1,
          holdId: null,
        },
      )

    /** The id of the newest event the feed serves now. */
    const end = async () => {
      let after = 0
      while (true) {
        const page = movedOn(after, await read({ after, limit: Limits.eventsPageSizeMax }))
        if (page.events.length === 0) return after
        after = page.next
      }
    }

    test("events read back as appended, in order, each with a new id", async () => {
      const start = await end()
      const written = [lowEvent(1), lowEvent(2), lowEvent(3)]
      const appended = await append(written)
      const page = await read({ after: start })
      expect(page.events).toEqual(appended)
      expect(page.events.map(({ id: _id, ...event }) => event)).toEqual(written)
      expect(new Set(appended.map((e) => e.id)).size).toBe(3)
      expect(page.next).toBe(appended[2]!.id)
    })

    test("a reader paging with the last id it read sees every event once", async () => {
      const start = await end()
      const appended = await append(Array.from({ length: 7 }, (_, i) => lowEvent(i)))
      const seen: Array<number> = []
      let after = start
      const next = async () => movedOn(after, await read({ after, limit: 3 }))
      for (let page = await next(); page.events.length > 0; page = await next()) {
        expect(page.events.length).toBeLessThanOrEqual(3)
        seen.push(...page.events.map((e) => e.id))
        after = page.next
      }
      expect(seen).toEqual(appended.map((e) => e.id))
    })

    test("at the end of the feed a read answers no events and the same position", async () => {
      const last = await end()
      expect(await read({ after: last })).toEqual({ events: [], next: last })
    })

    test("a waiting read returns an event appended while it waits", async () => {
      const start = await end()
      const waiting = await run(Effect.forkDetach(Ledger.use((ledger) => ledger.events({ after: start, wait: 10 }))))
      const [event] = await append([lowEvent(9)])
      const page = await run(Fiber.join(waiting))
      expect(page.events).toEqual([event])
    })

    test("an id that names no event is refused", async () => {
      const error = await refused({ after: (await end()) + 1_000_000 })
      expect(error._tag).toBe("InvalidRequest")
    })

    test.each([
      ["a negative after", { after: -1 }],
      ["a fractional after", { after: 1.5 }],
      ["a zero limit", { limit: 0 }],
      ["a limit past the page size", { limit: Limits.eventsPageSizeMax + 1 }],
      ["a negative wait", { wait: -1 }],
      ["a wait past the longest", { wait: Limits.eventsWaitSecondsMax + 1 }],
    ])("%s is refused", async (_, request) => {
      expect((await refused(request))._tag).toBe("InvalidRequest")
    })
  })
