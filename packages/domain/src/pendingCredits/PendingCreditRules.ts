import type { Balance } from "../Credits.ts"
import type { Accepted } from "../Decision.ts"
import type { BalanceAtCeiling, BalanceLimitExceeded } from "../LedgerError.ts"
import { rejectionError } from "../LedgerError.ts"
import { Limits } from "../Limits.ts"
import { type Metadata, metadataProblem, noMetadata } from "../Metadata.ts"
import { standingOf } from "../ResolveOnce.ts"
import { applyTopUp } from "../TopUp.ts"
import type { PendingCredit } from "./PendingCredit.ts"
import {
  PendingCreditExpired,
  PendingCreditMetadataInvalid,
  PendingCreditNotFound,
  PendingCreditNotPending,
  type PendingCreditResolutionError,
} from "./PendingCreditError.ts"
import type { PendingCreditRequest } from "./PendingCreditRequest.ts"

/**
 * A pending credit's life as pure rules: opened, then activated, voided or expired, once. Each is
 * decided on the credit as stored under the account's exclusive access, so whichever write comes
 * first resolves it and the others find it resolved.
 */

const iso = (ms: number) => new Date(ms).toISOString()

export interface PendingCreditTarget {
  readonly accountId: string
  readonly pendingCreditId: number
}

/** A new pending credit, numbered after the `opened` the account already has. It moves no credits. */
export const openPendingCredit = (request: PendingCreditRequest, opened: number, nowMs: number): PendingCredit => ({
  accountId: request.accountId,
  pendingCreditId: opened + 1,
  status: "pending",
  kind: request.kind ?? "top-up",
  amount: request.amount,
  ceiling: request.ceiling ?? null,
  reference: request.reference ?? null,
  metadata: request.metadata ?? noMetadata,
  // As the grant will record it (and PostgreSQL reads it back): UTC, to the millisecond.
  grantExpiresAt: request.grantExpiresAt === undefined ? null : iso(Date.parse(request.grantExpiresAt)),
  grantPriority: request.grantPriority ?? null,
  createdAt: iso(nowMs),
  expiresAt: iso(nowMs + (request.expiresInSeconds ?? Limits.pendingCreditExpiresInSecondsDefault) * 1000),
  resolvedAt: null,
  entrySequence: null,
})

/** Why a credit that is missing or already resolved cannot be resolved now. */
const unresolvable = (target: PendingCreditTarget, credit: PendingCredit | undefined) =>
  credit === undefined
    ? new PendingCreditNotFound(target)
    : // Not pending: resolved, as one of the three other statuses.
      new PendingCreditNotPending({ ...target, status: credit.status as PendingCreditNotPending["status"] })

/** The credit if it can still be resolved; otherwise why not: missing, resolved, or past its deadline. */
const pending = (
  target: PendingCreditTarget,
  credit: PendingCredit | undefined,
  nowMs: number,
): PendingCredit | PendingCreditResolutionError => {
  const standing = standingOf(credit, "pending", nowMs)
  switch (standing._tag) {
    case "Missing":
    case "Resolved":
      return unresolvable(target, credit)
    case "PastDeadline":
      return new PendingCreditExpired({ ...target, expiresAt: standing.expiresAt })
    case "Open":
      return standing.item
  }
}

const isError = (value: PendingCredit | PendingCreditResolutionError): value is PendingCreditResolutionError =>
  "_tag" in value

/** What an activation credits: the decision on the balance now, the merged metadata, the credit as it leaves it. */
export interface Activation {
  readonly _tag: "Activated"
  readonly decision: Accepted
  readonly metadata: Metadata
  readonly credit: PendingCredit
}

export type ActivationRejection =
  | PendingCreditResolutionError
  | BalanceAtCeiling
  | BalanceLimitExceeded
  | PendingCreditMetadataInvalid

/**
 * Activates a pending credit on the balance as it stands now, exactly as a top-up of its amount under
 * its ceiling: Applied, Clamped onto the ceiling, or Rejected (the credit then stays pending, for the
 * caller to void or activate later, as the origin leaves its transaction inactive). The entry carries
 * the activation's metadata over the credit's (`entrySequence` is the sequence it will have).
 */
export const activatePendingCredit = (
  target: PendingCreditTarget,
  credit: PendingCredit | undefined,
  balance: Balance,
  activation: { readonly metadata: Metadata | undefined; readonly entrySequence: number },
  nowMs: number,
): Activation | ActivationRejection => {
  const current = pending(target, credit, nowMs)
  if (isError(current)) return current
  const metadata =
    activation.metadata === undefined ? current.metadata : { ...current.metadata, ...activation.metadata }
  const problem = metadataProblem(metadata)
  if (problem !== undefined) return new PendingCreditMetadataInvalid({ ...target, problem })
  const decision = applyTopUp(balance, current.amount, current.ceiling ?? undefined)
  if (decision._tag === "Rejected") return rejectionError(decision) as BalanceAtCeiling | BalanceLimitExceeded
  return {
    _tag: "Activated",
    decision,
    metadata,
    credit: { ...current, status: "activated", resolvedAt: iso(nowMs), entrySequence: activation.entrySequence },
  }
}

/**
 * Voids a pending credit: nothing is credited. Past its deadline it resolves as `expired` instead,
 * whoever comes first (the void, an activation too late, the sweep): the status depends on the time,
 * never on which of them won a race.
 */
export const voidPendingCredit = (
  target: PendingCreditTarget,
  credit: PendingCredit | undefined,
  nowMs: number,
): PendingCredit | PendingCreditNotFound | PendingCreditNotPending => {
  const standing = standingOf(credit, "pending", nowMs)
  switch (standing._tag) {
    case "Missing":
    case "Resolved":
      return unresolvable(target, credit)
    case "PastDeadline":
      return { ...standing.item, status: "expired", resolvedAt: iso(nowMs) }
    case "Open":
      return { ...standing.item, status: "voided", resolvedAt: iso(nowMs) }
  }
}

/** The credit expired, if it is still pending and its deadline has come at `nowMs`. */
export const expirePendingCredit = (credit: PendingCredit | undefined, nowMs: number): PendingCredit | undefined => {
  const standing = standingOf(credit, "pending", nowMs)
  return standing._tag === "PastDeadline" ? { ...standing.item, status: "expired", resolvedAt: iso(nowMs) } : undefined
}
