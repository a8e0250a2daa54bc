import { fc, test } from "@fast-check/vitest"
import { MemoryLedgerStore } from "@tally/adapters"
import {
  type AccountId,
  type AccountSnapshot,
  configure,
  type Entry,
  type IdempotencyRecord,
  Ledger,
  newAccountState,
  post,
  type SpendRequest,
  type Step,
  type TopUpRequest,
} from "@tally/domain"
import { Arbitraries } from "@tally/domain/testing"
import { Effect, Layer, ManagedRuntime } from "effect"
import { afterAll, beforeAll, describe, expect } from "vitest"
import { createDatabase, pgStore } from "./support/TestDatabase.ts"

/**
 * Model-based test: random sequences of ledger operations run on the in-memory store, on
 * PostgreSQL, and on a plain fold of the pure core's steps must give identical results and
 * identical entries.
 */

type Action =
  | { readonly _tag: "TopUp"; readonly account: number; readonly request: Omit<TopUpRequest, "accountId"> }
  | { readonly _tag: "Spend"; readonly account: number; readonly request: Omit<SpendRequest, "accountId"> }
  | { readonly _tag: "Settings"; readonly account: number; readonly overdraftLimit: number }

const accountsPerRun = 3
const key = fc.option(fc.constantFrom("k1", "k2", "k3"), { nil: undefined })
const withKey = <A extends object>(request: A, idempotencyKey: string | undefined) =>
  idempotencyKey === undefined ? request : { ...request, idempotencyKey }

const action: fc.Arbitrary<Action> = fc.oneof(
  fc
    .tuple(fc.nat(accountsPerRun - 1), Arbitraries.topUpOperation(), fc.constantFrom("top-up", "grant", "refund"), key)
    .map(([account, { amount, ceiling }, kind, k]) => ({
      _tag: "TopUp" as const,
      account,
      request: withKey({ amount, kind, ...(ceiling === undefined ? {} : { ceiling }) }, k) as TopUpRequest,
    })),
  fc.tuple(fc.nat(accountsPerRun - 1), Arbitraries.spendOperation(), key).map(([account, { amount, mode }, k]) => ({
    _tag: "Spend" as const,
    account,
    request: withKey({ amount, mode }, k) as SpendRequest,
  })),
  fc.tuple(fc.nat(accountsPerRun - 1), fc.integer({ min: 0, max: 3_000 })).map(([account, overdraftLimit]) => ({
    _tag: "Settings" as const,
    account,
    overdraftLimit,
  })),
)

/** The fold: the pure steps over plain maps, the simplest store there is. */
interface ModelAccount {
  snapshot: AccountSnapshot["state"]
  readonly entries: Array<Entry>
  readonly keys: Map<string, IdempotencyRecord>
}

class Model {
  readonly accounts = new Map<string, ModelAccount>()
  apply<A>(accountId: string, idempotencyKey: string | undefined, step: Step<A>): A {
    const account: ModelAccount = this.accounts.get(accountId) ?? {
      snapshot: newAccountState,
      entries: [],
      keys: new Map(),
    }
    const transition = step({
      state: account.snapshot,
      prior: idempotencyKey === undefined ? undefined : account.keys.get(idempotencyKey),
    })
    if (transition.entry) account.entries.push(transition.entry)
    if (transition.record) account.keys.set(transition.record.key, transition.record)
    if (transition.state) account.snapshot = transition.state
    this.accounts.set(accountId, account)
    return transition.result
  }
}

const createdAt = "2026-01-01T00:00:00.000Z"
const withoutTime = (entry: Entry) => ({ ...entry, createdAt })

/** What a caller can observe of an outcome, with entry times set aside. */
const observed = (outcome: unknown): unknown => {
  if (outcome !== null && typeof outcome === "object") {
    if ("entry" in outcome) return { ...outcome, entry: withoutTime(outcome.entry as Entry) }
    return { ...outcome }
  }
  return outcome
}

describe("the stores against a fold of the pure core", () => {
  let stores: Array<[string, ManagedRuntime.ManagedRuntime<Ledger, unknown>]> = []
  beforeAll(async () => {
    const url = await createDatabase()
    stores = [
      ["in-memory", ManagedRuntime.make(Ledger.layer.pipe(Layer.provide(MemoryLedgerStore.layer)))],
      ["PostgreSQL", ManagedRuntime.make(Ledger.layer.pipe(Layer.provide(pgStore(url, 4))))],
    ]
  })
  afterAll(() => Promise.all(stores.map(([, runtime]) => runtime.dispose())))

  let runs = 0
  test.prop([fc.array(action, { maxLength: 30 })], { numRuns: 40 })(
    "give identical results and identical entries",
    async (actions) => {
      const prefix = `model-${runs++}-${Date.now().toString(36)}`
      const accountOf = (n: number) => `${prefix}-${n}` as AccountId
      const model = new Model()
      for (const act of actions) {
        const accountId = accountOf(act.account)
        const expected =
          act._tag === "Settings"
            ? model.apply(accountId, undefined, configure({ accountId, overdraftLimit: act.overdraftLimit as never }))
            : model.apply(
                accountId,
                act.request.idempotencyKey,
                post({ _tag: act._tag, accountId, ...act.request } as never, createdAt),
              )
        const expectation =
          expected !== null && typeof expected === "object" && "_tag" in expected && expected._tag === "Posted"
            ? { entry: withoutTime(expected.entry), replayed: expected.replayed }
            : expected !== null && typeof expected === "object" && "_tag" in expected && expected._tag === "Refused"
              ? expected.error
              : expected
        for (const [, runtime] of stores) {
          const outcome = await runtime.runPromise(
            Effect.flatMap(Ledger, (ledger) => {
              const operation =
                act._tag === "TopUp"
                  ? ledger.topUp({ accountId, ...act.request })
                  : act._tag === "Spend"
                    ? ledger.spend({ accountId, ...act.request })
                    : ledger.updateSettings({ accountId, overdraftLimit: act.overdraftLimit })
              return Effect.match(operation as Effect.Effect<unknown, unknown>, {
                onSuccess: observed,
                onFailure: observed,
              })
            }),
          )
          expect(outcome).toEqual(observed(expectation))
        }
      }
      for (const n of Array.from({ length: accountsPerRun }, (_, i) => i)) {
        const modelEntries = (model.accounts.get(accountOf(n))?.entries ?? []).map(withoutTime).reverse()
        for (const [, runtime] of stores) {
          const page = await runtime.runPromise(
            Effect.flatMap(Ledger, (l) => l.entries({ accountId: accountOf(n), limit: 500 })),
          )
          expect(page.entries.map(withoutTime)).toEqual(modelEntries)
        }
      }
    },
  )
})
