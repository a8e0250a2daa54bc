import type { AccountId } from "../AccountId.ts"
import type { Decision } from "../Decision.ts"

/**
 * A period an account's refill settled, kept as a row of its own: the storage makes (account,
 * period) unique, so a period is refilled at most once even if the rule's state were bypassed. A
 * period found at the ceiling is settled too (`Rejected`, no entry).
 */
export interface RefillRecord {
  readonly accountId: AccountId
  /** The period, ISO-8601: from its start (included) to its end (excluded). */
  readonly periodStart: string
  readonly periodEnd: string
  readonly decision: Decision["_tag"]
  /** The `grant` entry of an Applied or Clamped refill. */
  readonly entrySequence: number | null
  readonly createdAt: string
}
