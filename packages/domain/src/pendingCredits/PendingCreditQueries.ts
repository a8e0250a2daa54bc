import type { DuePendingCredit, PendingCreditsQuery } from "../LedgerStore.ts"
import type { PendingCredit } from "./PendingCredit.ts"

/** A page of an account's pending credits as a store without indexes finds it: newest first. */
export const pendingCreditsPageOf = (
  credits: Iterable<PendingCredit>,
  { status, limit, beforeId }: PendingCreditsQuery,
): ReadonlyArray<PendingCredit> =>
  [...credits]
    .filter(
      (credit) => (status === undefined || credit.status === status) && credit.pendingCreditId < (beforeId ?? Infinity),
    )
    .sort((a, b) => b.pendingCreditId - a.pendingCreditId)
    .slice(0, limit)

/** Up to `limit` pending credits whose deadline is at or before `now`, earliest first. */
export const duePendingCreditsOf = (
  credits: Iterable<PendingCredit>,
  now: string,
  limit: number,
): ReadonlyArray<DuePendingCredit> =>
  [...credits]
    .filter((credit) => credit.status === "pending" && Date.parse(credit.expiresAt) <= Date.parse(now))
    .sort((a, b) => Date.parse(a.expiresAt) - Date.parse(b.expiresAt))
    .slice(0, limit)
    .map(({ accountId, pendingCreditId }) => ({ accountId, pendingCreditId }))
