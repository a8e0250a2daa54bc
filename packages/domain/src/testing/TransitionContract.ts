import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { accountId as toAccountId } from "../AccountId.ts"
import type { Entry } from "../Entry.ts"
import { Ledger } from "../Ledger.ts"
import { LedgerStore, type WriteTarget } from "../LedgerStore.ts"
import { type AccountSnapshot, storedOutcome, type Transition } from "../Posting.ts"
import { accountFeed } from "./AccountFeed.ts"
import type { ContractContext } from "./ContractContext.ts"

/** Every field of a transition an adapter must store; `result` is answered, not stored. */
const storedFields = [
  "state",
  "entry",
  "record",
  "hold",
  "autoTopUpRequest",
  "refill",
  "events",
  "grants",
  "pendingCredit",
] as const

/** Fields of an entry that most writes leave empty: the scenario sets each at least once. */
const linkFields = ["idempotencyKey", "reference", "holdId", "refundOf", "reason", "actor"] as const

/**
 * The port's round trip: every field of every transition a write hands the store is read back, as the
 * next step's snapshot and through the reads, equal to what was written. An adapter that drops or
 * alters a field (a column it forgot, a field the port gained after it was written) fails here, by
 * name, rather than in some later behaviour. The writes go through the `Ledger`, so each transition is
 * one the rules really produce; a wrapper of the store under test records them.
 */
export const transitionContract = (context: ContractContext, store: Layer.Layer<LedgerStore, unknown>) =>
  describe("every field of a transition, written and read back", () => {
    const written = new Map<string, Transition<unknown>>()
    const recording = Layer.effect(
      LedgerStore,
      Effect.map(LedgerStore, (inner) =>
        LedgerStore.of({
          ...inner,
          transact: (target, step) =>
            inner.transact(target, (snapshot) => {
              const transition = step(snapshot)
              // A retried step runs again: the last run is the one committed.
              written.set(target.accountId, transition)
              return transition
            }),
        }),
      ),
    ).pipe(Layer.provide(store))

    let runtime: ManagedRuntime.ManagedRuntime<Ledger | LedgerStore, unknown>
    beforeAll(() => {
      runtime = ManagedRuntime.make(Ledger.layer.pipe(Layer.provideMerge(recording)))
    })
    afterAll(() => runtime.dispose())

    const provide = <A, E>(effect: Effect.Effect<A, E, Ledger | LedgerStore>) =>
      effect.pipe(Effect.provideService(Clock.Clock, context.clock.clock))
    const run = <A, E>(body: (ledger: Ledger["Service"]) => Effect.Effect<A, E>) =>
      runtime.runPromise(provide(Effect.flatMap(Ledger, body)))
    const port = <A, E>(body: (store: LedgerStore["Service"]) => Effect.Effect<A, E>) =>
      runtime.runPromise(provide(Effect.flatMap(LedgerStore, body)))
    /** What a step is given for `target`: the snapshot read back, changing nothing. */
    const snapshotOf = (target: WriteTarget) =>
      port((s) => s.transact(target, (snapshot): Transition<AccountSnapshot> => ({ result: snapshot })))
    const feed = accountFeed({ run })
    /** A row a write stored, read back equal in the next step's snapshot (under its own name) and by its own read. */
    const readsBack = async <K extends "hold" | "autoTopUpRequest" | "pendingCredit">(
      write: string,
      name: K,
      row: NonNullable<AccountSnapshot[K]>,
      target: WriteTarget,
      read: (store: LedgerStore["Service"]) => Effect.Effect<AccountSnapshot[K], unknown>,
    ) => {
      expect((await snapshotOf(target))[name], `${write}: ${name}, in the snapshot`).toEqual(row)
      expect(await port(read), `${write}: ${name}, read by ${name}`).toEqual(row)
    }

    test("state, entry, idempotency record, hold, auto top-up request, refill period, events, grants and pending credit read back equal", async () => {
      const accountId = toAccountId(context.newAccount())
      const seen = new Set<string>()
      const entries: Array<Entry> = []
      const pendingCreditIds = new Set<number>()
      let feedEnd = await feed.end()

      /** Reads back every field of the write's transition, through the snapshot and through the reads. */
      const readBack = async (write: string) => {
        const transition = written.get(accountId)
        expect(transition, `${write}: the store ran no step`).toBeDefined()
        const { state, entry, record, hold, autoTopUpRequest, refill, events, grants, pendingCredit } = transition!
        for (const field of storedFields) if (transition![field] !== undefined) seen.add(field)
        if (state !== undefined) {
          expect(await port((s) => s.account(accountId)), `${write}: state, read by account`).toEqual(state)
          expect((await snapshotOf({ accountId })).state, `${write}: state, in the snapshot`).toEqual(state)
        }
        if (entry !== undefined) {
          entries.push(entry)
          const [newest] = await port((s) => s.entries(accountId, { limit: 1 }))
          expect(newest, `${write}: entry, read by entries`).toEqual(entry)
        }
        // Every entry, as the snapshot's refund target, with what refunds returned of it (a positive sum).
        for (const target of entries) {
          const refunded = entries.filter((e) => e.refundOf === target.sequence).reduce((sum, e) => sum - e.amount, 0)
          expect(
            (await snapshotOf({ accountId, refundOf: target.sequence })).refundTarget,
            `${write}: refundTarget`,
          ).toEqual({ entry: target, refunded })
        }
        if (record !== undefined) {
          // A refusal may come back as its fields (a serialized record): the ledger reads either.
          const prior = (await snapshotOf({ accountId, idempotencyKey: record.key })).prior
          expect(prior && { ...prior, outcome: storedOutcome(prior.outcome) }, `${write}: record`).toEqual(record)
        }
        if (hold !== undefined) {
          await readsBack(write, "hold", hold, { accountId, holdId: hold.holdId }, (s) =>
            s.hold(accountId, hold.holdId),
          )
        }
        if (autoTopUpRequest !== undefined) {
          const { requestId } = autoTopUpRequest
          await readsBack(
            write,
            "autoTopUpRequest",
            autoTopUpRequest,
            { accountId, autoTopUpRequestId: requestId },
            (s) => s.autoTopUpRequest(accountId, requestId),
          )
        }
        if (refill !== undefined) {
          // A period is settled once: the store keeps it, and refuses to settle it again.
          const current = await port((s) => s.account(accountId))
          const again = await runtime.runPromiseExit(
            provide(
              Effect.flatMap(LedgerStore, (s) =>
                s.transact({ accountId }, () => ({ result: 0, state: current, refill })),
              ),
            ),
          )
          expect(Exit.isSuccess(again), `${write}: refill, settled again`).toBe(false)
          expect(await port((s) => s.account(accountId)), `${write}: refill, settled again, wrote nothing`).toEqual(
            current,
          )
        }
        for (const grant of grants ?? []) {
          expect(
            await port((s) => s.grants(accountId, 1, grant.grantId + 1)),
            `${write}: grant ${grant.grantId}, read by grants`,
          ).toEqual([grant])
        }
        if (pendingCredit !== undefined) {
          const { pendingCreditId } = pendingCredit
          pendingCreditIds.add(pendingCreditId)
          await readsBack(write, "pendingCredit", pendingCredit, { accountId, pendingCreditId }, (s) =>
            s.pendingCredit(accountId, pendingCreditId),
          )
          // Every credit the account has had, resolved ones included: the next one's id is one more.
          expect(
            (await snapshotOf({ accountId, opensPendingCredit: true })).pendingCreditsOpened,
            `${write}: pendingCreditsOpened, in the snapshot`,
          ).toBe(pendingCreditIds.size)
        }
        const stored = (await feed.eventsOf(accountId, feedEnd, events?.length ?? 0)).map(
          ({ id: _id, ...event }) => event,
        )
        expect(stored, `${write}: events, read from the feed`).toEqual(events ?? [])
        feedEnd = await feed.end()
        // The next write at another time: a time field an adapter keeps from the first write shows.
        context.clock.advance(1_000)
      }

      await run((l) => l.updateSettings({ accountId, overdraftLimit: 40 }))
      await readBack("updateSettings")
      await run((l) => l.configureAutoTopUp({ accountId, threshold: 100, amount: 500, ceiling: 5000 }))
      await readBack("configureAutoTopUp")
      await run((l) =>
        l.configureRefill({ accountId, amount: 300, ceiling: 100_000, schedule: { period: "monthly", dayOfMonth: 1 } }),
      )
      await readBack("configureRefill")
      await run((l) =>
        l.topUp({
          accountId,
          amount: 1500,
          ceiling: 1000,
          kind: "grant",
          priority: 5,
          expiresAt: "2099-01-01T00:00:00.000Z",
          idempotencyKey: "round-trip-1",
          reference: "order-1",
          metadata: { plan: "pro", seats: [1, 2], nested: { on: true, off: null } },
        }),
      )
      await readBack("topUp")
      await run((l) =>
        l.hold({
          accountId,
          amount: 200,
          expiresInSeconds: 3600,
          idempotencyKey: "round-trip-2",
          reference: "run-1",
          metadata: { model: "m1" },
        }),
      )
      await readBack("hold")
      await run((l) =>
        l.capture({
          accountId,
          holdId: 1,
          amount: 50,
          final: false,
          idempotencyKey: "round-trip-3",
          reference: "run-1",
        }),
      )
      await readBack("capture")
      await run((l) => l.spend({ accountId, amount: 750, idempotencyKey: "round-trip-4", metadata: { tokens: 750 } }))
      await readBack("spend that opens an auto top-up request")
      await run((l) => l.completeAutoTopUp({ accountId, requestId: 1, paymentReference: "pi_round_trip" }))
      await readBack("completeAutoTopUp")
      await run((l) => l.spend({ accountId, amount: 500 }))
      await readBack("spend that opens a second request")
      await run((l) =>
        l.failAutoTopUp({ accountId, requestId: 2, reason: "card declined", idempotencyKey: "round-trip-5" }),
      )
      await readBack("failAutoTopUp")
      await run((l) =>
        l.refund({ accountId, sequence: 1, amount: 100, reason: "chargeback", idempotencyKey: "round-trip-6" }),
      )
      await readBack("refund")
      await run((l) =>
        l.adjust({ accountId, amount: -700, reason: "duplicate grant", actor: "ops@example.test", force: true }),
      )
      await readBack("forced adjustment")
      await run((l) => l.release({ accountId, holdId: 1, idempotencyKey: "round-trip-7" }))
      await readBack("release")
      await run((l) => l.adjust({ accountId, amount: 2000, reason: "goodwill", actor: "ops@example.test" }))
      await readBack("adjustment")
      await run((l) =>
        l.recordPendingCredit({
          accountId,
          amount: 400,
          idempotencyKey: "round-trip-9",
          reference: "checkout-1",
          metadata: { checkout: "cs_1" },
          grantPriority: 3,
        }),
      )
      await readBack("recordPendingCredit")
      await run((l) => l.activateCredit({ accountId, pendingCreditId: 1, metadata: { payment: "pi_1" } }))
      await readBack("activateCredit")
      await run((l) => l.recordPendingCredit({ accountId, amount: 10, idempotencyKey: "round-trip-10" }))
      await readBack("recordPendingCredit after an activation")
      await run((l) => l.voidCredit({ accountId, pendingCreditId: 2 }))
      await readBack("voidCredit")
      written.delete(accountId)
      await run((l) => l.runDueRefills)
      await readBack("refill")
      const refusal = await runtime.runPromise(
        provide(
          Effect.flip(
            Effect.flatMap(Ledger, (l) => l.spend({ accountId, amount: 1_000_000, idempotencyKey: "round-trip-8" })),
          ),
        ),
      )
      expect(refusal).toMatchObject({ _tag: "InsufficientCredits" })
      await readBack("refused spend")

      // The scenario itself: it set every field of a transition, and every link of an entry.
      expect([...seen].sort()).toEqual([...storedFields].sort())
      for (const field of linkFields)
        expect(
          entries.some((e) => e[field] !== null),
          `an entry with ${field}`,
        ).toBe(true)
      expect(entries.some((e) => e.overdrawn)).toBe(true)
      expect(entries.some((e) => e.decision === "Clamped")).toBe(true)
    })
  })
