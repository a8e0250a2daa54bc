import * as Schema from "effect/Schema"
import { AccountId } from "../AccountId.ts"
import { AutoTopUpRequest } from "../autoTopUp/AutoTopUpRequest.ts"
import { AutoTopUpSettings, Threshold } from "../autoTopUp/AutoTopUpSettings.ts"
import { Balance } from "../Credits.ts"
import { Grant } from "../grants/Grant.ts"
import { CreditActivatedData, PendingCreditData } from "../pendingCredits/PendingCreditEvents.ts"

/**
 * Something that happened to an account, written in the same transaction as the change that caused
 * it (a transactional outbox): none is lost, none is invented. Consumers read the feed in order
 * (`Ledger.events`, `GET /v1/events`) or receive each event by webhook; `id` is unique and tells a
 * consumer that it has already seen an event. Type names follow the dotted lower-case convention of
 * Stripe's and Lago's webhooks.
 */

/** The available balance went from at or above the auto top-up threshold to below it. */
export const BalanceLowData = Schema.Struct({
  threshold: Threshold,
  availableBefore: Balance,
  availableAfter: Balance,
  /** The entry whose write crossed the threshold (a spend, a capture); null for a hold, which appends none. */
  entrySequence: Schema.NullOr(Schema.Int),
  /** The hold that was placed or captured, when the write was one. */
  holdId: Schema.NullOr(Schema.Int),
})

/** An auto top-up request, as it stands after what the event reports. */
export const AutoTopUpRequestData = Schema.Struct({ request: AutoTopUpRequest })

export const AutoTopUpCompletedData = Schema.Struct({
  request: AutoTopUpRequest,
  /** The `top-up` entry that credited the request's amount. */
  entrySequence: Schema.Int,
  balanceAfter: Balance,
})

export const AutoTopUpFailedData = Schema.Struct({
  request: AutoTopUpRequest,
  consecutiveFailures: Schema.Int,
})

export const AutoTopUpDisabledData = Schema.Struct({
  reason: Schema.Literal("ConsecutiveFailures"),
  consecutiveFailures: Schema.Int,
  settings: AutoTopUpSettings,
})

export const RefillAppliedData = Schema.Struct({
  /** The period refilled, from its start (included) to its end (excluded), ISO-8601. */
  periodStart: Schema.String,
  periodEnd: Schema.String,
  decision: Schema.Literals(["Applied", "Clamped"]),
  requested: Schema.Int,
  amount: Schema.Int,
  balanceAfter: Balance,
  /** The `grant` entry of the refill. */
  entrySequence: Schema.Int,
})

export const GrantExpiredData = Schema.Struct({
  /** The grant as its expiry left it: live still when open holds reserve part of it. */
  grant: Grant,
  /** What expired. */
  amount: Schema.Int,
  /** The `expiry` entry that took it from the balance. */
  entrySequence: Schema.Int,
})

export const GrantExpiringData = Schema.Struct({
  /** The grant as it stands when its expiry came within the lead time (`warnedAt` set). */
  grant: Grant,
  /** What is left of it now: what expires at `expiresAt` unless debits take it first. */
  amount: Schema.Int,
  expiresAt: Schema.String,
})

const event = <T extends string, D extends Schema.Top>(type: T, data: D) =>
  Schema.Struct({ type: Schema.Literal(type), accountId: AccountId, createdAt: Schema.String, data })

/** An event as a write produces it; the store gives it its id. */
export const NewLedgerEvent = Schema.Union([
  event("balance.low", BalanceLowData),
  event("auto_top_up.requested", AutoTopUpRequestData),
  event("auto_top_up.completed", AutoTopUpCompletedData),
  event("auto_top_up.failed", AutoTopUpFailedData),
  event("auto_top_up.expired", AutoTopUpRequestData),
  event("auto_top_up.disabled", AutoTopUpDisabledData),
  event("refill.applied", RefillAppliedData),
  event("grant.expired", GrantExpiredData),
  event("credit.pending", PendingCreditData),
  event("credit.activated", CreditActivatedData),
  event("credit.voided", PendingCreditData),
  event("credit.expired", PendingCreditData),
  event("grant.expiring", GrantExpiringData),
])
export type NewLedgerEvent = typeof NewLedgerEvent.Type

export const EventType = Schema.Literals([
  "balance.low",
  "auto_top_up.requested",
  "auto_top_up.completed",
  "auto_top_up.failed",
  "auto_top_up.expired",
  "auto_top_up.disabled",
  "refill.applied",
  "grant.expired",
  "credit.pending",
  "credit.activated",
  "credit.voided",
  "credit.expired",
  "grant.expiring",
])
export type EventType = typeof EventType.Type

/** Event ids count up from 1; a consumer passes the last id it processed as `after`. */
export const EventId = Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))

/** An event as stored and read: with its id. */
export const LedgerEvent = Schema.Union(
  NewLedgerEvent.members.map((member) => member.mapFields((fields) => ({ id: EventId, ...fields }))),
)
export type LedgerEvent = typeof LedgerEvent.Type
