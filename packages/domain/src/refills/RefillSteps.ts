import type { AccountId } from "../AccountId.ts"
import type { Entry } from "../Entry.ts"
import { refillApplied } from "../events/AccountEvents.ts"
import { grantMovement, withAllocations } from "../grants/GrantSettlement.ts"
import { afterEntry, nextEntry, type Step } from "../Posting.ts"
import { decideRefill, reschedule } from "./Refill.ts"
import { type ConfigureRefillRequest, type RefillStatus, refillStatus } from "./RefillCommands.ts"
import { periodName, type RefillPeriod } from "./RefillPeriod.ts"
import type { RefillRecord } from "./RefillRecord.ts"

/** Periodic refills as steps on one account: setting them, and running the one due. */

/**
 * Sets the settings; what the last grant covers stays covered (`reschedule`), so changing them within
 * a period, the schedule included, does not refill it again. The refill of the current period, if due,
 * comes with the next run.
 */
export const configure =
  (request: ConfigureRefillRequest, nowMs: number): Step<RefillStatus> =>
  ({ state }) => {
    const refill = {
      ...reschedule(state.refill, request.schedule),
      settings: {
        enabled: request.enabled ?? true,
        amount: request.amount,
        ceiling: request.ceiling ?? null,
        schedule: request.schedule,
        ...(request.expiresAfter === undefined ? {} : { expiresAfter: request.expiresAfter }),
      },
    }
    return { result: refillStatus(request.accountId, refill, nowMs), state: { ...state, refill } }
  }

/** What a refill run did on one account. */
export type RefillOutcome =
  | { readonly _tag: "NotDue" }
  /** The grant went through, in full or clamped to the ceiling. */
  | { readonly _tag: "Refilled"; readonly entry: Entry }
  /** The balance was at or above the ceiling: the period is settled with nothing granted. */
  | { readonly _tag: "AtCeiling" }

/** A refill's reference on its `grant` entry, naming the period: `refill:2025-03-01`. */
export const refillReference = (period: RefillPeriod) => `refill:${periodName(period)}`

/**
 * Runs the refill due at `nowMs`, if any: a `grant` with the ceiling, and `refill.applied`. Either way
 * a due period is settled once, with its record (which the storage keeps unique per period).
 */
export const refill =
  (accountId: AccountId, nowMs: number): Step<RefillOutcome> =>
  ({ state }) => {
    const due = decideRefill(state.refill, state.balance, nowMs)
    if (due._tag === "NotDue") return { result: { _tag: "NotDue" } }
    const createdAt = new Date(nowMs).toISOString()
    const settled = (entrySequence: number | null): RefillRecord => ({
      accountId,
      periodStart: new Date(due.period.startMs).toISOString(),
      periodEnd: new Date(due.period.endMs).toISOString(),
      decision: due.decision._tag,
      entrySequence,
      createdAt,
    })
    if (due.decision._tag === "Rejected") {
      return { result: { _tag: "AtCeiling" }, state: { ...state, refill: due.state }, refill: settled(null) }
    }
    const credited = nextEntry(accountId, state, due.decision, {
      kind: "grant",
      reference: refillReference(due.period),
      createdAt,
    })
    // "Use it or lose it": the period's credits are a grant that ends with it.
    const terms =
      state.refill.settings?.expiresAfter === "period"
        ? { expiresAt: new Date(due.period.endMs).toISOString() }
        : undefined
    const movement = grantMovement(accountId, state, credited, terms)
    const entry = movement === undefined ? credited : withAllocations(credited, movement)
    const after = { ...afterEntry(state, entry), refill: due.state }
    return {
      result: { _tag: "Refilled", entry },
      state: movement === undefined ? after : { ...after, grants: movement.live },
      grants: movement?.changed,
      entry,
      refill: settled(entry.sequence),
      events: [refillApplied(due.period, entry)],
    }
  }
