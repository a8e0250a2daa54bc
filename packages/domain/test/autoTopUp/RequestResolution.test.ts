import { fc, test } from "@fast-check/vitest"
import { describe, expect } from "vitest"
import {
  type AutoTopUpRequest,
  type AutoTopUpState,
  accountId,
  amount,
  balance,
  completeAutoTopUp,
  expireAutoTopUp,
  failAutoTopUp,
  idempotencyKey,
  Limits,
  noAutoTopUp,
  openAutoTopUp,
  threshold,
} from "../../src/index.ts"

const account = accountId("acct_1")
const openedAtMs = Date.UTC(2025, 2, 14, 12)
const deadlineMs = openedAtMs + Limits.autoTopUpRequestExpiryMs
const settings = { enabled: true, threshold: threshold(100), amount: amount(500), ceiling: null }
const target = { accountId: account, requestId: 1 }

const opened = (state: AutoTopUpState = { ...noAutoTopUp, settings }) => {
  const opening = openAutoTopUp(account, state, { available: balance(20), balance: balance(20) }, openedAtMs)
  if (opening._tag !== "Opened") throw new Error("expected a request")
  return opening
}

describe("completing a request", () => {
  test("credits the request's amount in full, even when the balance rose meanwhile", () => {
    const { state, request } = opened()
    const done = completeAutoTopUp(
      state,
      request,
      { ...target, paymentReference: idempotencyKey("pi_1") },
      balance(4_000),
      openedAtMs + 60_000,
    )
    expect(done).toMatchObject({
      _tag: "Completed",
      credit: { _tag: "Applied", balanceBefore: 4_000, balanceAfter: 4_500, applied: 500 },
      request: { status: "completed", paymentReference: "pi_1" },
      state: { openRequestId: null, consecutiveFailures: 0 },
    })
  })

  test("completing again with the same payment reference changes nothing", () => {
    const { state, request } = opened()
    const ref = { ...target, paymentReference: idempotencyKey("pi_1") }
    const done = completeAutoTopUp(state, request, ref, balance(20), openedAtMs)
    if (done._tag !== "Completed") throw new Error("expected a completion")
    expect(completeAutoTopUp(done.state, done.request, ref, balance(520), openedAtMs + 1)).toEqual({
      _tag: "AlreadyCompleted",
      request: done.request,
    })
  })

  test("completing with another payment reference is refused: the request is already completed", () => {
    const { state, request } = opened()
    const done = completeAutoTopUp(
      state,
      request,
      { ...target, paymentReference: idempotencyKey("pi_1") },
      balance(20),
      openedAtMs,
    )
    if (done._tag !== "Completed") throw new Error("expected a completion")
    const again = completeAutoTopUp(
      done.state,
      done.request,
      { ...target, paymentReference: idempotencyKey("pi_2") },
      balance(520),
      openedAtMs,
    )
    expect(again).toMatchObject({ _tag: "AutoTopUpRequestNotOpen", status: "completed", requestId: 1 })
  })

  test("a request past its deadline can no longer be completed", () => {
    const { state, request } = opened()
    const late = completeAutoTopUp(
      state,
      request,
      { ...target, paymentReference: idempotencyKey("pi_1") },
      balance(20),
      deadlineMs,
    )
    expect(late).toMatchObject({ _tag: "AutoTopUpRequestExpired", expiresAt: new Date(deadlineMs).toISOString() })
  })

  test("an unknown request is not found", () => {
    expect(
      completeAutoTopUp(noAutoTopUp, undefined, { ...target, paymentReference: idempotencyKey("p") }, balance(0), 0),
    ).toMatchObject({ _tag: "AutoTopUpRequestNotFound", requestId: 1 })
  })

  test("a credit past the largest balance is refused and the request stays open", () => {
    const { state, request } = opened()
    const result = completeAutoTopUp(
      state,
      request,
      { ...target, paymentReference: idempotencyKey("pi_1") },
      balance(Limits.balanceMax - 1),
      openedAtMs,
    )
    expect(result).toMatchObject({ _tag: "BalanceLimitExceeded", amount: 500 })
  })
})

describe("failing and expiring", () => {
  test(`after ${Limits.autoTopUpConsecutiveFailuresMax} failures in a row auto top-up switches off, once`, () => {
    let state: AutoTopUpState = { ...noAutoTopUp, settings }
    const disabledAt: Array<number> = []
    for (let i = 1; i <= Limits.autoTopUpConsecutiveFailuresMax + 1; i++) {
      const opening = openAutoTopUp(account, state, { available: balance(20), balance: balance(20) }, openedAtMs)
      if (opening._tag === "NotOpened") {
        expect(opening.reason).toBe("Disabled")
        break
      }
      const failure = failAutoTopUp(
        opening.state,
        opening.request,
        { ...target, requestId: i, reason: "card declined" },
        openedAtMs,
      )
      if (failure._tag !== "Failed") throw new Error("expected a failure")
      if (failure.disabled) disabledAt.push(i)
      state = failure.state
    }
    expect(disabledAt).toEqual([Limits.autoTopUpConsecutiveFailuresMax])
    expect(state.settings?.enabled).toBe(false)
  })

  test("failing a failed request again changes nothing and counts no second failure", () => {
    const { state, request } = opened()
    const failed = failAutoTopUp(state, request, { ...target, reason: "declined" }, openedAtMs)
    if (failed._tag !== "Failed") throw new Error("expected a failure")
    expect(failAutoTopUp(failed.state, failed.request, { ...target, reason: "declined" }, openedAtMs + 1)).toEqual({
      _tag: "AlreadyFailed",
      request: failed.request,
    })
    expect(failed.state.consecutiveFailures).toBe(1)
  })

  test("a completion between failures starts the count again", () => {
    const first = opened()
    const failed = failAutoTopUp(first.state, first.request, { ...target, reason: "declined" }, openedAtMs)
    if (failed._tag !== "Failed") throw new Error("expected a failure")
    const second = opened(failed.state)
    const done = completeAutoTopUp(
      second.state,
      second.request,
      { ...target, requestId: 2, paymentReference: idempotencyKey("pi") },
      balance(20),
      openedAtMs,
    )
    expect(done).toMatchObject({ _tag: "Completed", state: { consecutiveFailures: 0 } })
  })

  test("a request within its deadline is not due to expire; from its deadline on it expires", () => {
    const { state, request } = opened()
    expect(expireAutoTopUp(state, request, deadlineMs - 1)._tag).toBe("NotDue")
    expect(expireAutoTopUp(state, request, deadlineMs)).toMatchObject({
      _tag: "Expired",
      request: { status: "expired" },
      state: { openRequestId: null, consecutiveFailures: 0 },
    })
  })
})

type Action =
  | { readonly kind: "complete"; readonly reference: "pi_a" | "pi_b"; readonly atMs: number }
  | { readonly kind: "fail"; readonly atMs: number }
  | { readonly kind: "expire"; readonly atMs: number }

const atMs = fc.oneof(
  fc.integer({ min: openedAtMs, max: deadlineMs - 1 }),
  fc.integer({ min: deadlineMs, max: deadlineMs + 60_000 }),
)
const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({
    kind: fc.constant("complete" as const),
    reference: fc.constantFrom("pi_a" as const, "pi_b" as const),
    atMs,
  }),
  fc.record({ kind: fc.constant("fail" as const), atMs }),
  fc.record({ kind: fc.constant("expire" as const), atMs }),
)

describe("complete, fail and expire racing each other", () => {
  test.prop([fc.array(action, { minLength: 1, maxLength: 12 }), fc.integer({ min: 0, max: 10_000 })])(
    "in any order, the first resolution wins and every later attempt changes nothing",
    (actions, startBalance) => {
      const sorted = [...actions].sort((a, b) => a.atMs - b.atMs)
      let { state, request }: { state: AutoTopUpState; request: AutoTopUpRequest } = opened()
      let credited = 0
      const resolutions: Array<string> = []
      for (const a of sorted) {
        if (a.kind === "complete") {
          const r = completeAutoTopUp(
            state,
            request,
            { ...target, paymentReference: idempotencyKey(a.reference) },
            balance(startBalance),
            a.atMs,
          )
          if (r._tag === "Completed") {
            ;({ state, request } = r)
            credited += r.credit.applied
            resolutions.push("completed")
          }
        } else if (a.kind === "fail") {
          const r = failAutoTopUp(state, request, { ...target, reason: "declined" }, a.atMs)
          if (r._tag === "Failed") {
            ;({ state, request } = r)
            resolutions.push("failed")
          }
        } else {
          const r = expireAutoTopUp(state, request, a.atMs)
          if (r._tag === "Expired") {
            ;({ state, request } = r)
            resolutions.push("expired")
          }
        }
      }
      expect(resolutions.length).toBeLessThanOrEqual(1)
      expect(request.status).toBe(resolutions[0] ?? "open")
      expect(credited).toBe(request.status === "completed" ? request.amount : 0)
      expect(state.openRequestId).toBe(request.status === "open" ? 1 : null)
      const firstValid = sorted.find((a) => (a.kind !== "expire" ? a.atMs < deadlineMs : a.atMs >= deadlineMs))
      expect(request.status).toBe(
        firstValid === undefined
          ? "open"
          : firstValid.kind === "complete"
            ? "completed"
            : firstValid.kind === "fail"
              ? "failed"
              : "expired",
      )
    },
  )
})
