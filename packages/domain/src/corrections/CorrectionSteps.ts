import { canonicalJson, keyed, nextEntry, posted, type Step, type WriteResult, whenSet } from "../Posting.ts"
import { adjustBalance } from "./Adjustment.ts"
import type { AdjustmentRequest, RefundRequest } from "./CorrectionRequest.ts"
import { refundEntry } from "./Refund.ts"

/** Corrections as steps: a refund linked to the entry it returns credits of, and an adjustment with its trail. */

export const refundFingerprint = (request: RefundRequest) =>
  canonicalJson({
    op: "Refund",
    sequence: request.sequence,
    amount: request.amount ?? null,
    reason: request.reason ?? null,
    reference: request.reference ?? null,
    metadata: request.metadata ?? {},
  })

export const refund = (request: RefundRequest, createdAt: string): Step<WriteResult> =>
  keyed(
    request.accountId,
    request.idempotencyKey,
    () => refundFingerprint(request),
    ({ state, refundTarget }) => {
      const decided = refundEntry(state, request.accountId, request.sequence, refundTarget, request.amount)
      if (!("decision" in decided)) return { outcome: { _tag: "Refused", error: decided } }
      const entry = nextEntry(request.accountId, state, decided.decision, {
        kind: "refund",
        refundOf: request.sequence,
        // The member whose credits it returns: the refunded entry's.
        member: refundTarget?.entry.member,
        reason: request.reason,
        overdrawn: decided.overdrawn,
        idempotencyKey: request.idempotencyKey,
        reference: request.reference,
        metadata: request.metadata,
        createdAt,
      })
      return posted(state, entry)
    },
  )

export const adjustmentFingerprint = (request: AdjustmentRequest) =>
  canonicalJson({
    op: "Adjustment",
    amount: request.amount,
    reason: request.reason,
    actor: request.actor,
    force: request.force ?? false,
    reference: request.reference ?? null,
    metadata: request.metadata ?? {},
    ...whenSet("member", request.member),
  })

export const adjust = (request: AdjustmentRequest, createdAt: string): Step<WriteResult> =>
  keyed(
    request.accountId,
    request.idempotencyKey,
    () => adjustmentFingerprint(request),
    ({ state }) => {
      const decided = adjustBalance(state, request.amount, request.force ?? false)
      if (!("decision" in decided)) return { outcome: { _tag: "Refused", error: decided } }
      const entry = nextEntry(request.accountId, state, decided.decision, {
        kind: "adjustment",
        reason: request.reason,
        actor: request.actor,
        member: request.member,
        overdrawn: decided.overdrawn,
        idempotencyKey: request.idempotencyKey,
        reference: request.reference,
        metadata: request.metadata,
        createdAt,
      })
      return posted(state, entry)
    },
  )
