import { type AccountState, balancesOf } from "../AccountState.ts"
import type { Entry } from "../Entry.ts"
import { afterEntry, canonicalJson, keyed, nextEntry, type Step, type WriteResult, whenSet } from "../Posting.ts"
import type { PendingCredit } from "./PendingCredit.ts"
import { PendingCreditExpired } from "./PendingCreditError.ts"
import { creditActivated, creditPending, creditResolved } from "./PendingCreditEvents.ts"
import type { ActivateCreditRequest, PendingCreditRequest, VoidCreditRequest } from "./PendingCreditRequest.ts"
import {
  activatePendingCredit,
  expirePendingCredit,
  openPendingCredit,
  voidPendingCredit,
} from "./PendingCreditRules.ts"

/**
 * A pending credit's steps on its account: record, activate, void, expire. Every step that changes
 * the credit writes the account's state too (unchanged but for an activation's entry), so the store
 * counts the write among those whose outcome an unknown commit leaves in doubt.
 */

const iso = (ms: number) => new Date(ms).toISOString()

const changed = (pendingCredit: PendingCredit, state: AccountState, entry: Entry | null) =>
  ({ _tag: "PendingCreditChanged", pendingCredit, entry, balances: balancesOf(state) }) as const

/** A voided or expired credit, and its event; the balance does not move. */
const resolved = (pendingCredit: PendingCredit, state: AccountState) => ({
  outcome: changed(pendingCredit, state, null),
  change: { state, pendingCredit, events: [creditResolved(pendingCredit)] },
})

export const pendingCreditFingerprint = (request: PendingCreditRequest) =>
  canonicalJson({
    op: "PendingCredit",
    amount: request.amount,
    kind: request.kind ?? "top-up",
    ceiling: request.ceiling ?? null,
    expiresInSeconds: request.expiresInSeconds ?? null,
    metadata: request.metadata ?? {},
    ...whenSet("reference", request.reference),
    ...whenSet("grantExpiresAt", request.grantExpiresAt),
    ...whenSet("grantPriority", request.grantPriority),
  })

/** Records a pending credit under the account's next id; the balance does not move. */
export const open = (request: PendingCreditRequest, nowMs: number): Step<WriteResult> =>
  keyed(
    request.accountId,
    request.idempotencyKey,
    () => pendingCreditFingerprint(request),
    ({ state, pendingCreditsOpened }) => {
      const pendingCredit = openPendingCredit(request, pendingCreditsOpened ?? 0, nowMs)
      return {
        outcome: changed(pendingCredit, state, null),
        change: { state, pendingCredit, events: [creditPending(pendingCredit)] },
      }
    },
  )

/**
 * Credits a pending credit as its kind of entry, keyed by the activation's key, referenced as the
 * credit is; with grant terms it makes a grant. Past the deadline the activation fails with
 * `PendingCreditExpired` and expires the credit in the same write, so the refusal and the status agree.
 */
export const activate = (request: ActivateCreditRequest, nowMs: number): Step<WriteResult> =>
  keyed(
    request.accountId,
    request.idempotencyKey,
    () =>
      canonicalJson({
        op: "ActivatePendingCredit",
        pendingCreditId: request.pendingCreditId,
        metadata: request.metadata ?? {},
      }),
    ({ state, pendingCredit }) => {
      const { accountId, pendingCreditId } = request
      const decided = activatePendingCredit(
        { accountId, pendingCreditId },
        pendingCredit,
        state.balance,
        { metadata: request.metadata, entrySequence: state.sequence + 1 },
        nowMs,
      )
      if (decided._tag !== "Activated") {
        const expired = decided instanceof PendingCreditExpired ? expirePendingCredit(pendingCredit, nowMs) : undefined
        const outcome = { _tag: "Refused", error: decided } as const
        return expired === undefined ? { outcome } : { outcome, change: resolved(expired, state).change }
      }
      const { credit } = decided
      const entry = nextEntry(accountId, state, decided.decision, {
        kind: credit.kind,
        idempotencyKey: request.idempotencyKey,
        reference: credit.reference,
        metadata: decided.metadata,
        createdAt: iso(nowMs),
      })
      const after = afterEntry(state, entry)
      return {
        outcome: changed(credit, after, entry),
        change: { state: after, entry, pendingCredit: credit, events: [creditActivated(credit, entry)] },
        grantTerms: { expiresAt: credit.grantExpiresAt ?? undefined, priority: credit.grantPriority ?? undefined },
      }
    },
  )

/** Voids a pending credit; past its deadline, it resolves as expired. */
export const voidCredit = (request: VoidCreditRequest, nowMs: number): Step<WriteResult> =>
  keyed(
    request.accountId,
    request.idempotencyKey,
    () => canonicalJson({ op: "VoidPendingCredit", pendingCreditId: request.pendingCreditId }),
    ({ state, pendingCredit }) => {
      const { accountId, pendingCreditId } = request
      const decided = voidPendingCredit({ accountId, pendingCreditId }, pendingCredit, nowMs)
      if ("_tag" in decided) return { outcome: { _tag: "Refused", error: decided } }
      return resolved(decided, state)
    },
  )

/**
 * Expires a pending credit past its deadline, if it is still pending: what the expiry sweep runs. It
 * needs no key: run again, it finds the credit resolved and does nothing.
 */
export const expire =
  (nowMs: number): Step<boolean> =>
  ({ state, pendingCredit }) => {
    const expired = expirePendingCredit(pendingCredit, nowMs)
    if (expired === undefined) return { result: false }
    return { result: true, ...resolved(expired, state).change }
  }
