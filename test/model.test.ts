import { fc, test } from "@fast-check/vitest"
import { MemoryLedgerStore } from "@tally/adapters"
import {
  type AccountId,
  type AccountState,
  type AutoTopUpRequest,
  AutoTopUpSteps,
  autoTopUpStatus,
  BalanceResponse,
  CorrectionSteps,
  configure,
  type Entry,
  expiresNext,
  type Grant,
  GrantSteps,
  type Hold,
  HoldSteps,
  type IdempotencyRecord,
  isReplayed,
  Ledger,
  Limits,
  MemberLimitsSteps,
  newAccountState,
  type PendingCredit,
  PendingCreditSteps,
  post,
  type Step,
  TotalsResponse,
  totalsOf,
  type WriteResult,
  type WriteTarget,
} from "@tally/domain"
import { Arbitraries } from "@tally/domain/testing"
import { Clock, Effect, Layer, ManagedRuntime, Schema } from "effect"
import { afterAll, beforeAll, describe, expect } from "vitest"
import { createDatabase, pgStore } from "./support/TestDatabase.ts"

/**
 * Model-based test: random sequences of ledger operations (top-ups, spends, settings, holds and
 * their captures, releases and expiry, refunds, adjustments, auto top-up settings and the completion,
 * failure and expiry of its requests, pending credits recorded, activated, voided and expired, member
 * limits and spends and holds naming members, time passing) run on the in-memory
 * store, on PostgreSQL, and on a plain fold of the pure core's steps, and must give identical
 * results, identical entries and identical holds. All three read one clock, moved by the test.
 */

const accountsPerRun = 2
const account = fc.nat(accountsPerRun - 1)
/** Keys repeat now and then within a run: a replay when the request is the same, a conflict when not. */
const holdKey = fc.integer({ min: 1, max: 30 }).map((n) => `k${n}`)
const key = fc.option(holdKey, { nil: undefined })
const holdId = fc.integer({ min: 1, max: 2 })
/** Two members of each wallet, or none: limits bite, and writes naming none pass them by. */
const member = fc.option(fc.constantFrom("ana", "bo"), { nil: undefined })
const memberLimit = fc.record({
  credits: fc.integer({ min: 1, max: 3_000 }),
  period: fc.constantFrom("day" as const, "week" as const, "month" as const),
})
const optional = <A>(arbitrary: fc.Arbitrary<A>) => fc.option(arbitrary, { nil: undefined })

/** Drops the fields left undefined, as a caller leaves optional fields out. */
const defined = <A extends object>(value: A): A =>
  Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as A

type Action =
  | {
      readonly _tag: "TopUp"
      readonly account: number
      readonly request: object
      /** Grant terms: an expiry this many seconds after the write, a priority. */
      readonly grant?: { readonly expiresIn: number | null; readonly priority: number | null } | null
    }
  | { readonly _tag: "Spend"; readonly account: number; readonly request: object }
  | { readonly _tag: "Settings"; readonly account: number; readonly overdraftLimit: number }
  | { readonly _tag: "Hold"; readonly account: number; readonly request: object }
  | { readonly _tag: "Capture"; readonly account: number; readonly request: { readonly holdId: number } }
  | { readonly _tag: "Release"; readonly account: number; readonly request: { readonly holdId: number } }
  | { readonly _tag: "Refund"; readonly account: number; readonly request: { readonly sequence: number } }
  | { readonly _tag: "Adjust"; readonly account: number; readonly request: object }
  | { readonly _tag: "AutoTopUp"; readonly account: number; readonly request: object }
  | { readonly _tag: "Complete"; readonly account: number; readonly request: { readonly requestId: number } }
  | { readonly _tag: "Fail"; readonly account: number; readonly request: { readonly requestId: number } }
  | { readonly _tag: "RecordCredit"; readonly account: number; readonly request: object }
  | {
      readonly _tag: "ActivateCredit"
      readonly account: number
      readonly request: { readonly pendingCreditId: number }
    }
  | { readonly _tag: "VoidCredit"; readonly account: number; readonly request: { readonly pendingCreditId: number } }
  | { readonly _tag: "MemberLimits"; readonly account: number; readonly request: object }
  | { readonly _tag: "Advance"; readonly seconds: number }
  | { readonly _tag: "Expire" }

const weighted = (weight: number, arbitrary: fc.Arbitrary<Action>) => ({ weight, arbitrary })

/** The values a run draws its amounts, overdraft limits and adjustments from. */
interface Scale {
  readonly amount: fc.Arbitrary<number>
  readonly ceiling: fc.Arbitrary<number>
  readonly overdraftLimit: fc.Arbitrary<number>
  readonly adjustment: fc.Arbitrary<number>
}

/** A day's usage: sequences hit ceilings and floors often. */
const everyday: Scale = {
  amount: fc.integer({ min: 1, max: 2_000 }),
  ceiling: fc.integer({ min: 0, max: 5_000 }),
  overdraftLimit: fc.integer({ min: 0, max: 3_000 }),
  adjustment: fc.integer({ min: -2_000, max: 2_000 }).filter((n) => n !== 0),
}

const max = Limits.balanceMax
/** The bounds: amounts and overdraft limits at 2^53 - 1 and beside it, so holds reach the bound on `held`. */
const edgeAmount = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(max, max - 1, 1) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 2_000 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max }) },
)
const atTheEdges: Scale = {
  amount: edgeAmount,
  ceiling: fc.constantFrom(0, max, max - 1, 5_000),
  overdraftLimit: fc.constantFrom(0, max, max - 1, 1_000),
  adjustment: fc.tuple(edgeAmount, fc.boolean()).map(([n, removes]) => (removes ? -n : n)),
}

const actionOf = ({ amount, ceiling, overdraftLimit, adjustment }: Scale): fc.Arbitrary<Action> =>
  fc.oneof(
    weighted(
      2,
      fc
        .record({
          account,
          op: Arbitraries.topUpOperation(amount as never, ceiling as never),
          kind: fc.constantFrom("top-up", "grant", "reversal"),
          key,
          grant: fc.option(
            fc.record({
              expiresIn: fc.option(fc.integer({ min: 1, max: 120 })),
              priority: fc.option(fc.integer({ min: 0, max: 9 })),
            }),
          ),
        })
        .map(({ account, op, kind, key, grant }) => ({
          _tag: "TopUp" as const,
          account,
          request: defined({ amount: op.amount, ceiling: op.ceiling, kind, idempotencyKey: key }),
          grant,
        })),
    ),
    weighted(
      2,
      fc
        .record({ account, op: Arbitraries.spendOperation(amount as never), key, member })
        .map(({ account, op, key, member }) => ({
          _tag: "Spend" as const,
          account,
          request: defined({ amount: op.amount, mode: op.mode, idempotencyKey: key, member }),
        })),
    ),
    weighted(
      1,
      fc.record({ account, overdraftLimit }).map((a) => ({ _tag: "Settings" as const, ...a })),
    ),
    weighted(
      4,
      fc
        .record({
          account,
          amount,
          mode: Arbitraries.spendMode,
          expires: optional(fc.integer({ min: 1, max: 120 })),
          key: holdKey,
          member,
        })
        .map(({ account, amount, mode, expires, key, member }) => ({
          _tag: "Hold" as const,
          account,
          request: defined({ amount, mode, expiresInSeconds: expires, idempotencyKey: key, member }),
        })),
    ),
    weighted(
      4,
      fc
        .record({
          account,
          holdId,
          amount: optional(amount),
          final: optional(fc.boolean()),
          allowDebt: optional(fc.boolean()),
          key: holdKey,
        })
        .map(({ account, key, ...request }) => ({
          _tag: "Capture" as const,
          account,
          request: defined({ ...request, idempotencyKey: key }),
        })),
    ),
    weighted(
      2,
      fc.record({ account, holdId, key: holdKey }).map(({ account, holdId, key }) => ({
        _tag: "Release" as const,
        account,
        request: { holdId, idempotencyKey: key },
      })),
    ),
    weighted(
      2,
      fc
        .record({ account, sequence: fc.integer({ min: 1, max: 5 }), amount: optional(amount), key })
        .map(({ account, sequence, amount, key }) => ({
          _tag: "Refund" as const,
          account,
          request: defined({ sequence, amount, idempotencyKey: key }),
        })),
    ),
    weighted(
      1,
      fc
        .record({
          account,
          amount: adjustment,
          force: fc.boolean(),
          key,
        })
        .map(({ account, amount, force, key }) => ({
          _tag: "Adjust" as const,
          account,
          request: defined({ amount, force, reason: "model", actor: "fold", idempotencyKey: key }),
        })),
    ),
    weighted(
      1,
      fc
        .record({
          account,
          threshold: fc.integer({ min: 0, max: 4_000 }),
          amount,
          ceiling: optional(fc.integer({ min: 0, max: 6_000 })),
          enabled: optional(fc.boolean()),
        })
        .map(({ account, ...request }) => ({ _tag: "AutoTopUp" as const, account, request: defined(request) })),
    ),
    weighted(
      3,
      fc
        .record({ account, requestId: fc.integer({ min: 1, max: 3 }), key: holdKey })
        .map(({ account, requestId, key }) => ({
          _tag: "Complete" as const,
          account,
          request: { requestId, paymentReference: `pay-${key}` },
        })),
    ),
    weighted(
      2,
      fc.record({ account, requestId: fc.integer({ min: 1, max: 3 }), key }).map(({ account, requestId, key }) => ({
        _tag: "Fail" as const,
        account,
        request: defined({ requestId, reason: "card_declined", idempotencyKey: key }),
      })),
    ),
    weighted(
      2,
      fc
        .record({
          account,
          amount,
          ceiling: optional(ceiling),
          expiresInSeconds: optional(fc.integer({ min: 1, max: 120 })),
          key: holdKey,
        })
        .map(({ account, key, ...request }) => ({
          _tag: "RecordCredit" as const,
          account,
          request: defined({ ...request, idempotencyKey: `checkout-${key}` }),
        })),
    ),
    weighted(
      2,
      fc
        .record({ account, pendingCreditId: fc.integer({ min: 1, max: 3 }), key, payment: fc.boolean() })
        .map(({ account, pendingCreditId, key, payment }) => ({
          _tag: "ActivateCredit" as const,
          account,
          request: defined({
            pendingCreditId,
            idempotencyKey: key === undefined ? undefined : `pay-${key}`,
            metadata: payment ? { payment: "pi" } : undefined,
          }),
        })),
    ),
    weighted(
      1,
      fc
        .record({ account, pendingCreditId: fc.integer({ min: 1, max: 3 }), key })
        .map(({ account, pendingCreditId, key }) => ({
          _tag: "VoidCredit" as const,
          account,
          request: defined({ pendingCreditId, idempotencyKey: key === undefined ? undefined : `void-${key}` }),
        })),
    ),
    weighted(
      1,
      fc
        .oneof(fc.integer({ min: 1, max: 90 }), fc.constant(24 * 60 * 60))
        .map((seconds) => ({ _tag: "Advance" as const, seconds })),
    ),
    weighted(1, fc.constant({ _tag: "Expire" as const })),
    weighted(
      1,
      fc
        .record({
          account,
          default: fc.option(memberLimit, { nil: null }),
          members: fc.dictionary(fc.constantFrom("ana", "bo"), memberLimit, { maxKeys: 2 }),
        })
        .map(({ account, ...request }) => ({ _tag: "MemberLimits" as const, account, request })),
    ),
  )

/**
 * Every run starts by funding its accounts and placing a hold on each, so holds, captures and spends
 * mostly reach their rules and refunds have something to refund.
 */
const funding: ReadonlyArray<Action> = Array.from({ length: accountsPerRun }, (_, account) => [
  { _tag: "TopUp" as const, account, request: { amount: 3_000 } },
  { _tag: "AutoTopUp" as const, account, request: { threshold: 2_500, amount: 800, ceiling: 4_000 } },
  { _tag: "Hold" as const, account, request: { amount: 1_000, idempotencyKey: "start" } },
]).flat()

/**
 * A run at the bounds starts where issue 24's answers broke: account 0 holds 2^53 - 1 on its
 * overdraft (available at the smallest value), account 1 has moved 2^53 - 1 in and out (its totals
 * one top-up from passing 2^53 - 1).
 */
const edgeFunding: ReadonlyArray<Action> = [
  { _tag: "Settings", account: 0, overdraftLimit: max },
  { _tag: "Hold", account: 0, request: { amount: max, idempotencyKey: "start" } },
  { _tag: "TopUp", account: 1, request: { amount: max } },
  { _tag: "Spend", account: 1, request: { amount: max } },
  { _tag: "AutoTopUp", account: 1, request: { threshold: 2_500, amount: 800 } },
]

/** The fold: the pure steps over plain maps, the simplest store there is. */
interface ModelAccount {
  state: AccountState
  readonly entries: Array<Entry>
  readonly keys: Map<string, IdempotencyRecord>
  readonly holds: Map<number, Hold>
  readonly requests: Map<number, AutoTopUpRequest>
  readonly grants: Map<number, Grant>
  readonly credits: Map<number, PendingCredit>
}

class Model {
  readonly accounts = new Map<string, ModelAccount>()
  apply<A>(
    {
      accountId,
      idempotencyKey,
      holdId,
      refundOf,
      autoTopUpRequestId,
      pendingCreditId,
      opensPendingCredit,
    }: WriteTarget,
    step: Step<A>,
  ): A {
    const account: ModelAccount = this.accounts.get(accountId) ?? {
      state: newAccountState,
      entries: [],
      keys: new Map(),
      holds: new Map(),
      requests: new Map(),
      grants: new Map(),
      credits: new Map(),
    }
    const target = refundOf === undefined ? undefined : account.entries[refundOf - 1]
    const refunded = account.entries.filter((e) => e.refundOf === refundOf).reduce((sum, e) => sum - e.amount, 0)
    const transition = step({
      state: account.state,
      prior: idempotencyKey === undefined ? undefined : account.keys.get(idempotencyKey),
      hold: holdId === undefined ? undefined : account.holds.get(holdId),
      refundTarget: target === undefined ? undefined : { entry: target, refunded },
      autoTopUpRequest: autoTopUpRequestId === undefined ? undefined : account.requests.get(autoTopUpRequestId),
      pendingCredit: pendingCreditId === undefined ? undefined : account.credits.get(pendingCreditId),
      pendingCreditsOpened: opensPendingCredit === true ? account.credits.size : undefined,
    })
    if (transition.entry) account.entries.push(transition.entry)
    if (transition.record) account.keys.set(transition.record.key, transition.record)
    if (transition.hold) account.holds.set(transition.hold.holdId, transition.hold)
    if (transition.autoTopUpRequest)
      account.requests.set(transition.autoTopUpRequest.requestId, transition.autoTopUpRequest)
    for (const grant of transition.grants ?? []) account.grants.set(grant.grantId, grant)
    if (transition.pendingCredit)
      account.credits.set(transition.pendingCredit.pendingCreditId, transition.pendingCredit)
    if (transition.state) account.state = transition.state
    this.accounts.set(accountId, account)
    return transition.result
  }
}

/** One clock for the ledgers and the fold, moved only by the test. */
let nowMs = Date.parse("2026-01-01T00:00:00.000Z")
const realClock = Clock.Clock.defaultValue()
const fixedClock: Clock.Clock = {
  currentTimeMillisUnsafe: () => nowMs,
  currentTimeMillis: Effect.sync(() => nowMs),
  currentTimeNanosUnsafe: () => BigInt(nowMs) * 1_000_000n,
  currentTimeNanos: Effect.sync(() => BigInt(nowMs) * 1_000_000n),
  monotonicTimeNanosUnsafe: () => realClock.monotonicTimeNanosUnsafe(),
  monotonicTimeNanos: realClock.monotonicTimeNanos,
  sleep: (duration) => realClock.sleep(duration),
}
const iso = () => new Date(nowMs).toISOString()
/** A wallet's member limits and usage as the ledger answers them now. */
const limitsStatus = (accountId: AccountId, members: AccountState["members"]) =>
  MemberLimitsSteps.limitsStatus(accountId, members, nowMs)

/** What the ledger answers for a step's result. */
const expectedOf = (result: WriteResult): unknown => {
  switch (result._tag) {
    case "Posted":
      return { entry: result.entry, replayed: result.replayed }
    case "HoldChanged":
      return { hold: result.hold, entry: result.entry, balances: result.balances, replayed: result.replayed }
    case "AutoTopUpChanged":
      return { request: result.request, entry: result.entry, replayed: result.replayed }
    case "PendingCreditChanged":
      return {
        pendingCredit: result.pendingCredit,
        entry: result.entry,
        balances: result.balances,
        replayed: result.replayed,
      }
    case "Refused":
      return { refused: result.error, replayed: result.replayed }
  }
}

/** As JSON carries it; a bigint (a kind's total) as its decimal text. */
const observed = (outcome: unknown): unknown =>
  outcome !== null && typeof outcome === "object"
    ? JSON.parse(JSON.stringify({ ...outcome }, (_key, v) => (typeof v === "bigint" ? v.toString() : v)))
    : outcome

/** A write's refusal, and whether the ledger marked it as the replay of an earlier one. */
const refusal = (error: unknown) => ({ refused: observed(error), replayed: isReplayed(error) })

const encodeBalances = Schema.encodeUnknownSync(Schema.toCodecJson(BalanceResponse))
const encodeTotals = Schema.encodeUnknownSync(Schema.toCodecJson(TotalsResponse))

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

  const onEach = async (
    body: (ledger: Ledger["Service"]) => Effect.Effect<unknown, unknown>,
    onFailure: (error: unknown) => unknown = observed,
  ) => {
    const outcomes: Array<unknown> = []
    for (const [, runtime] of stores) {
      outcomes.push(
        await runtime.runPromise(
          Effect.flatMap(Ledger, body).pipe(
            Effect.match({ onSuccess: observed, onFailure }),
            Effect.provideService(Clock.Clock, fixedClock),
          ),
        ),
      )
    }
    return outcomes
  }

  let runs = 0
  const runActions = (start: ReadonlyArray<Action>) => async (generated: ReadonlyArray<Action>) => {
    const actions = [...start, ...generated]
    const prefix = `model-${runs++}-${Date.now().toString(36)}`
    const accountOf = (n: number) => `${prefix}-${n}` as AccountId
    const model = new Model()
    for (const act of actions) {
      if (act._tag === "Advance") {
        nowMs += act.seconds * 1000
        continue
      }
      if (act._tag === "Expire") {
        for (const [accountId, { holds, requests, credits }] of model.accounts) {
          for (const credit of credits.values()) {
            model.apply(
              { accountId: accountId as AccountId, pendingCreditId: credit.pendingCreditId },
              PendingCreditSteps.expire(nowMs),
            )
          }
          for (const hold of holds.values()) {
            model.apply({ accountId: accountId as AccountId, holdId: hold.holdId }, HoldSteps.expire(nowMs))
          }
          for (const request of requests.values()) {
            model.apply(
              { accountId: accountId as AccountId, autoTopUpRequestId: request.requestId },
              AutoTopUpSteps.expire(nowMs),
            )
          }
        }
        for (const accountId of model.accounts.keys())
          model.apply({ accountId: accountId as AccountId }, GrantSteps.expire(accountId as AccountId, nowMs))
        await onEach((l) =>
          Effect.andThen(
            Effect.andThen(Effect.andThen(l.expireHolds, l.expireAutoTopUps), l.expireGrants),
            l.expirePendingCredits,
          ),
        )
        continue
      }
      const accountId = accountOf(act.account)
      const terms =
        act._tag === "TopUp" && act.grant
          ? defined({
              expiresAt:
                act.grant.expiresIn === null ? undefined : new Date(nowMs + act.grant.expiresIn * 1000).toISOString(),
              priority: act.grant.priority ?? undefined,
            })
          : {}
      const request = { accountId, ...("request" in act ? act.request : {}), ...terms } as never
      const target = { accountId, ...("request" in act ? act.request : {}) } as WriteTarget
      if (act._tag === "MemberLimits") {
        const members = model.apply(target, MemberLimitsSteps.setLimits(request))
        const outcomes = await onEach((l) => l.setMemberLimits(request))
        for (const outcome of outcomes) expect(outcome).toEqual(observed(limitsStatus(accountId, members)))
        continue
      }
      const expected =
        act._tag === "Settings"
          ? model.apply(target, configure({ accountId, overdraftLimit: act.overdraftLimit } as never))
          : act._tag === "AutoTopUp"
            ? model.apply(target, AutoTopUpSteps.configure(request))
            : expectedOf(
                act._tag === "TopUp" || act._tag === "Spend"
                  ? model.apply(target, post({ _tag: act._tag, ...(request as object) } as never, iso()))
                  : act._tag === "Hold"
                    ? model.apply(target, HoldSteps.place(request, nowMs))
                    : act._tag === "Capture"
                      ? model.apply(target, HoldSteps.capture(request, nowMs))
                      : act._tag === "Release"
                        ? model.apply(target, HoldSteps.release(request, nowMs))
                        : act._tag === "Refund"
                          ? model.apply(
                              { ...target, refundOf: act.request.sequence },
                              CorrectionSteps.refund(request, iso()),
                            )
                          : act._tag === "Complete"
                            ? model.apply(
                                {
                                  accountId,
                                  idempotencyKey: (request as { paymentReference: never }).paymentReference,
                                  autoTopUpRequestId: act.request.requestId,
                                },
                                AutoTopUpSteps.complete(request, nowMs),
                              )
                            : act._tag === "Fail"
                              ? model.apply(
                                  { ...target, autoTopUpRequestId: act.request.requestId },
                                  AutoTopUpSteps.fail(request, nowMs),
                                )
                              : act._tag === "RecordCredit"
                                ? model.apply(
                                    { ...target, opensPendingCredit: true },
                                    PendingCreditSteps.open(request, nowMs),
                                  )
                                : act._tag === "ActivateCredit"
                                  ? model.apply(target, PendingCreditSteps.activate(request, nowMs))
                                  : act._tag === "VoidCredit"
                                    ? model.apply(target, PendingCreditSteps.voidCredit(request, nowMs))
                                    : model.apply(target, CorrectionSteps.adjust(request, iso())),
              )
      const configures = act._tag === "Settings" || act._tag === "AutoTopUp"
      const outcomes = await onEach(
        (l) => {
          switch (act._tag) {
            case "TopUp":
              return l.topUp(request)
            case "Spend":
              return l.spend(request)
            case "Settings":
              return l.updateSettings({ accountId, overdraftLimit: act.overdraftLimit })
            case "Hold":
              return l.hold(request)
            case "Capture":
              return l.capture(request)
            case "Release":
              return l.release(request)
            case "Refund":
              return l.refund(request)
            case "Adjust":
              return l.adjust(request)
            case "AutoTopUp":
              return l.configureAutoTopUp(request)
            case "Complete":
              return l.completeAutoTopUp(request)
            case "Fail":
              return l.failAutoTopUp(request)
            case "RecordCredit":
              return l.recordPendingCredit(request)
            case "ActivateCredit":
              return l.activateCredit(request)
            case "VoidCredit":
              return l.voidCredit(request)
          }
        },
        configures ? observed : refusal,
      )
      for (const outcome of outcomes) expect(outcome).toEqual(observed(expected))
    }
    for (const n of Array.from({ length: accountsPerRun }, (_, i) => i)) {
      const accountId = accountOf(n)
      const modelAccount = model.accounts.get(accountId)
      const holdIds = [...(modelAccount?.holds.keys() ?? [])]
      const requestIds = [...(modelAccount?.requests.keys() ?? [])]
      const creditIds = [...(modelAccount?.credits.keys() ?? [])]
      const [memory, pg] = await onEach((l) =>
        Effect.all({
          entries: l.entries({ accountId, limit: 500 }).pipe(Effect.map((page) => page.entries)),
          holds: Effect.forEach(holdIds, (holdId) => l.getHold({ accountId, holdId })),
          balances: l.balances(accountId),
          autoTopUp: l.autoTopUp(accountId),
          memberLimits: l.memberLimits(accountId),
          requests: Effect.forEach(requestIds, (requestId) => l.getAutoTopUpRequest({ accountId, requestId })),
          grants: l.grants({ accountId, limit: 500 }).pipe(Effect.map((page) => page.grants)),
          credits: Effect.forEach(creditIds, (pendingCreditId) => l.getPendingCredit({ accountId, pendingCreditId })),
          // What HTTP answers must encode, whatever the ledger reached: a failure here is a 500.
          encoded: Effect.all([l.balances(accountId), l.totals({ accountId })]).pipe(
            Effect.map(([balances, totals]) => [
              encodeBalances({ accountId, ...balances }),
              encodeTotals({ accountId, totals }),
            ]),
          ),
        }),
      )
      const state = modelAccount?.state ?? newAccountState
      const expected = observed({
        entries: [...(modelAccount?.entries ?? [])].reverse(),
        holds: [...(modelAccount?.holds.values() ?? [])],
        balances: {
          balance: state.balance,
          held: state.held,
          available: state.balance - state.held,
          expiresNext: expiresNext(state.grants),
        },
        autoTopUp: autoTopUpStatus(accountId, state.autoTopUp),
        memberLimits: limitsStatus(accountId, state.members),
        requests: [...(modelAccount?.requests.values() ?? [])],
        grants: [...(modelAccount?.grants.values() ?? [])].sort((a, b) => b.grantId - a.grantId),
        credits: [...(modelAccount?.credits.values() ?? [])],
        encoded: [
          {
            accountId,
            balance: state.balance,
            held: state.held,
            available: state.balance - state.held,
            expiresNext: expiresNext(state.grants),
          },
          { accountId, totals: totalsOf(modelAccount?.entries ?? [], {}) },
        ],
      })
      expect(memory).toEqual(expected)
      expect(pg).toEqual(expected)
    }
  }

  test.prop([fc.array(actionOf(everyday), { minLength: 10, maxLength: 60 })], { numRuns: 60 })(
    "give identical results, entries and holds",
    runActions(funding),
  )

  // Amounts, overdraft limits and forced removals at 2^53 - 1: every answer still encodes, on both stores.
  test.prop([fc.array(actionOf(atTheEdges), { minLength: 10, maxLength: 40 })], { numRuns: 80 })(
    "give identical results at the bounds, and every answer encodes",
    runActions(edgeFunding),
  )
})
