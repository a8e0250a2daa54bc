import { Schema } from "effect"
import { describe, expect, test } from "vitest"
import {
  AccountEvents,
  accountId,
  amount,
  balance,
  type Entry,
  failAutoTopUp,
  LedgerEvent,
  Limits,
  NewLedgerEvent,
  noAutoTopUp,
  noLinks,
  openAutoTopUp,
  threshold,
} from "../../src/index.ts"

const account = accountId("acct_1")
const nowMs = Date.UTC(2025, 2, 14, 12)
const roundTrip = (event: NewLedgerEvent) =>
  Schema.decodeUnknownSync(NewLedgerEvent)(JSON.parse(JSON.stringify(Schema.encodeSync(NewLedgerEvent)(event))))

const opening = openAutoTopUp(
  account,
  { ...noAutoTopUp, settings: { enabled: true, threshold: threshold(100), amount: amount(500), ceiling: null } },
  { available: balance(20), balance: balance(20) },
  nowMs,
)
if (opening._tag !== "Opened") throw new Error("expected a request")
const { request, state } = opening

const entry: Entry = {
  accountId: account,
  sequence: 7,
  kind: "grant",
  decision: "Clamped",
  requested: 1000,
  amount: 700,
  balanceAfter: balance(1000),
  idempotencyKey: null,
  metadata: {},
  ...noLinks,
  createdAt: new Date(nowMs).toISOString(),
}

describe("events as the rules' outcomes make them", () => {
  test("every event survives JSON as its schema reads it", () => {
    const failure = failAutoTopUp(
      { ...state, consecutiveFailures: Limits.autoTopUpConsecutiveFailuresMax - 1 },
      request,
      { accountId: account, requestId: 1, reason: "card declined" },
      nowMs,
    )
    if (failure._tag !== "Failed") throw new Error("expected a failure")
    const events = [
      AccountEvents.balanceLow(account, entry.createdAt, {
        threshold: threshold(100),
        availableBefore: balance(150),
        availableAfter: balance(20),
        entrySequence: 3,
        holdId: null,
      }),
      AccountEvents.autoTopUpRequested(request),
      AccountEvents.autoTopUpCompleted({ ...request, status: "completed", resolvedAt: entry.createdAt }, entry),
      ...AccountEvents.autoTopUpFailed(failure),
      AccountEvents.autoTopUpExpired({ ...request, status: "expired", resolvedAt: request.expiresAt }),
      AccountEvents.refillApplied({ startMs: Date.UTC(2025, 2, 1), endMs: Date.UTC(2025, 3, 1) }, entry),
    ]
    expect(events.map((e) => e.type)).toEqual([
      "balance.low",
      "auto_top_up.requested",
      "auto_top_up.completed",
      "auto_top_up.failed",
      "auto_top_up.disabled",
      "auto_top_up.expired",
      "refill.applied",
    ])
    for (const event of events) expect(roundTrip(event)).toEqual(event)
  })

  test("a failure that does not switch auto top-up off tells only of the failure", () => {
    const failure = failAutoTopUp(state, request, { accountId: account, requestId: 1, reason: "declined" }, nowMs)
    if (failure._tag !== "Failed") throw new Error("expected a failure")
    expect(AccountEvents.autoTopUpFailed(failure).map((e) => e.type)).toEqual(["auto_top_up.failed"])
  })

  test("a stored event carries its id; an event of an unknown type is refused", () => {
    const decode = Schema.decodeUnknownResult(LedgerEvent)
    const requested = AccountEvents.autoTopUpRequested(request)
    expect(decode({ ...requested, id: 1 })._tag).toBe("Success")
    expect(decode({ ...requested, id: 0 })._tag).toBe("Failure")
    expect(decode({ ...requested, id: 1, type: "auto_top_up.approved" })._tag).toBe("Failure")
  })

  test("a failure reason PostgreSQL cannot store is refused before it reaches an event", () => {
    const decode = Schema.decodeUnknownResult(NewLedgerEvent)
    const failed = { ...request, status: "failed", failureReason: "bad\u0000reason" }
    expect(
      decode({
        type: "auto_top_up.failed",
        accountId: account,
        createdAt: entry.createdAt,
        data: { request: failed, consecutiveFailures: 1 },
      })._tag,
    ).toBe("Failure")
  })
})
