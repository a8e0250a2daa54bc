import type { AccountId } from "../AccountId.ts"
import type { AutoTopUpRequest } from "../autoTopUp/AutoTopUpRequest.ts"
import type { Failure } from "../autoTopUp/RequestResolution.ts"
import type { Entry } from "../Entry.ts"
import type { RefillPeriod } from "../refills/RefillPeriod.ts"
import type { NewLedgerEvent } from "./LedgerEvent.ts"

/** The events the rules' outcomes cause, built from those outcomes and the entries written with them. */

type Data<T extends NewLedgerEvent["type"]> = Extract<NewLedgerEvent, { readonly type: T }>["data"]

export const balanceLow = (accountId: AccountId, createdAt: string, data: Data<"balance.low">): NewLedgerEvent => ({
  type: "balance.low",
  accountId,
  createdAt,
  data,
})

export const autoTopUpRequested = (request: AutoTopUpRequest): NewLedgerEvent => ({
  type: "auto_top_up.requested",
  accountId: request.accountId,
  createdAt: request.openedAt,
  data: { request },
})

/** A completed request and the `top-up` entry that credited it. */
export const autoTopUpCompleted = (request: AutoTopUpRequest, entry: Entry): NewLedgerEvent => ({
  type: "auto_top_up.completed",
  accountId: request.accountId,
  createdAt: request.resolvedAt ?? entry.createdAt,
  data: { request, entrySequence: entry.sequence, balanceAfter: entry.balanceAfter },
})

/** A failed request, and `auto_top_up.disabled` when it was one failure too many. */
export const autoTopUpFailed = (
  failure: Extract<Failure, { readonly _tag: "Failed" }>,
): ReadonlyArray<NewLedgerEvent> => {
  const { request, state } = failure
  const createdAt = request.resolvedAt ?? request.openedAt
  const failed: NewLedgerEvent = {
    type: "auto_top_up.failed",
    accountId: request.accountId,
    createdAt,
    data: { request, consecutiveFailures: state.consecutiveFailures },
  }
  if (!failure.disabled || state.settings === null) return [failed]
  return [
    failed,
    {
      type: "auto_top_up.disabled",
      accountId: request.accountId,
      createdAt,
      data: { reason: "ConsecutiveFailures", consecutiveFailures: state.consecutiveFailures, settings: state.settings },
    },
  ]
}

export const autoTopUpExpired = (request: AutoTopUpRequest): NewLedgerEvent => ({
  type: "auto_top_up.expired",
  accountId: request.accountId,
  createdAt: request.resolvedAt ?? request.expiresAt,
  data: { request },
})

/** A refill that credited something (Applied or Clamped), with its `grant` entry. */
export const refillApplied = (period: RefillPeriod, entry: Entry): NewLedgerEvent => ({
  type: "refill.applied",
  accountId: entry.accountId,
  createdAt: entry.createdAt,
  data: {
    periodStart: new Date(period.startMs).toISOString(),
    periodEnd: new Date(period.endMs).toISOString(),
    decision: entry.decision,
    requested: entry.requested,
    amount: entry.amount,
    balanceAfter: entry.balanceAfter,
    entrySequence: entry.sequence,
  },
})
