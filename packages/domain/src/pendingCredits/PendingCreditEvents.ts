import * as Schema from "effect/Schema"
import { Balance } from "../Credits.ts"
import type { Entry } from "../Entry.ts"
import type { NewLedgerEvent } from "../events/LedgerEvent.ts"
import { PendingCredit } from "./PendingCredit.ts"

/**
 * A pending credit's events: `credit.pending` when it is recorded, then one of `credit.activated`,
 * `credit.voided`, `credit.expired`. The expiry has its own event because a platform must learn that
 * a checkout lapsed (to cancel it, or refund a payment that arrived too late) without polling.
 */

/** A pending credit as it stands after what the event reports. */
export const PendingCreditData = Schema.Struct({ pendingCredit: PendingCredit })

export const CreditActivatedData = Schema.Struct({
  pendingCredit: PendingCredit,
  /** The entry that credited it: Applied in full, or Clamped under its ceiling. */
  entrySequence: Schema.Int,
  decision: Schema.Literals(["Applied", "Clamped"]),
  requested: Schema.Int,
  amount: Schema.Int,
  balanceAfter: Balance,
})

const about = (pendingCredit: PendingCredit, createdAt: string) => ({
  accountId: pendingCredit.accountId,
  createdAt,
  data: { pendingCredit },
})

export const creditPending = (pendingCredit: PendingCredit): NewLedgerEvent => ({
  type: "credit.pending",
  ...about(pendingCredit, pendingCredit.createdAt),
})

export const creditActivated = (pendingCredit: PendingCredit, entry: Entry): NewLedgerEvent => ({
  type: "credit.activated",
  accountId: pendingCredit.accountId,
  createdAt: entry.createdAt,
  data: {
    pendingCredit,
    entrySequence: entry.sequence,
    decision: entry.decision,
    requested: entry.requested,
    amount: entry.amount,
    balanceAfter: entry.balanceAfter,
  },
})

/** A voided or expired credit: its status says which. */
export const creditResolved = (pendingCredit: PendingCredit): NewLedgerEvent => ({
  type: pendingCredit.status === "expired" ? "credit.expired" : "credit.voided",
  ...about(pendingCredit, pendingCredit.resolvedAt ?? pendingCredit.expiresAt),
})
