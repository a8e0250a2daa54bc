import type { AccountId } from "../AccountId.ts"
import { type AccountState, balancesOf } from "../AccountState.ts"
import { withAutoTopUp } from "../autoTopUp/AfterDebit.ts"
import type { Entry } from "../Entry.ts"
import { noMetadata } from "../Metadata.ts"
import {
  afterEntry,
  type Change,
  canonicalJson,
  keyed,
  nextEntry,
  type Step,
  type WriteResult,
  whenSet,
} from "../Posting.ts"
import { chargeMember, checkMemberDebit, holdCounts } from "../wallets/MemberSpending.ts"
import { type Captured, captureHold } from "./CaptureHold.ts"
import { type Hold, type HoldId, isPastDeadline, remainingOf } from "./Hold.ts"
import { HoldExpired, HoldNotFound, HoldNotOpen } from "./HoldError.ts"
import type { CaptureRequest, HoldRequest, ReleaseRequest } from "./HoldRequest.ts"
import { placeHold } from "./PlaceHold.ts"
import { releaseHold } from "./ReleaseHold.ts"

/** The steps of a hold's life: place, capture, release, expire; each decided on the account's state. */

const iso = (ms: number) => new Date(ms).toISOString()

const changed = (hold: Hold, state: AccountState, entry: Entry | null) => ({
  outcome: { _tag: "HoldChanged", hold, entry, balances: balancesOf(state) } as const,
  change: { state, hold, entry: entry ?? undefined } satisfies Change,
})

/** A hold or a capture that lowers the available balance, with what it causes for auto top-up. */
const debited = (hold: Hold, before: AccountState, after: AccountState, entry: Entry | null, nowMs: number) => {
  const { outcome, change } = changed(hold, after, entry)
  return { outcome, change: withAutoTopUp(hold.accountId, before, change, iso(nowMs)) }
}

/** The hold, if it can be acted on; otherwise why not: it is missing, or already resolved. */
const openHold = (accountId: AccountId, holdId: HoldId, hold: Hold | undefined) =>
  hold === undefined
    ? new HoldNotFound({ accountId, holdId })
    : hold.status !== "open"
      ? new HoldNotOpen({ accountId, holdId, status: hold.status })
      : hold

const refused = (error: HoldNotFound | HoldNotOpen) => ({ outcome: { _tag: "Refused", error } as const })

export const holdFingerprint = (request: HoldRequest) =>
  canonicalJson({
    op: "Hold",
    amount: request.amount,
    mode: request.mode ?? "exact",
    expiresInSeconds: request.expiresInSeconds ?? null,
    reference: request.reference ?? null,
    metadata: request.metadata ?? {},
    ...whenSet("member", request.member),
  })

/** Reserves credits under the next hold id of the account; a member's reservation counts against its limit. */
export const place = (request: HoldRequest, nowMs: number): Step<WriteResult> =>
  keyed(
    request.accountId,
    request.idempotencyKey,
    () => holdFingerprint(request),
    ({ state }) => {
      const decision = placeHold(state, request.amount, request.mode ?? "exact")
      if (!("reserved" in decision)) return { outcome: { _tag: "Refused", error: decision } }
      const exceeded = checkMemberDebit(request.accountId, state.members, request.member, decision.reserved, nowMs)
      if (exceeded !== undefined) return { outcome: { _tag: "Refused", error: exceeded } }
      const placed: Hold = {
        accountId: request.accountId,
        holdId: state.holdsPlaced + 1,
        status: "open",
        requested: request.amount,
        amount: decision.reserved,
        captured: 0,
        excess: 0,
        reference: request.reference ?? null,
        metadata: request.metadata ?? noMetadata,
        expiresAt: request.expiresInSeconds === undefined ? null : iso(nowMs + request.expiresInSeconds * 1000),
        createdAt: iso(nowMs),
        resolvedAt: null,
      }
      const hold: Hold = request.member === undefined ? placed : { ...placed, member: request.member }
      const members = chargeMember(state.members, hold.member, { spent: 0, held: hold.amount }, nowMs)
      const after = { ...state, held: state.held + hold.amount, holdsPlaced: hold.holdId, members }
      return debited(hold, state, after, null, nowMs)
    },
  )

export const captureFingerprint = (request: CaptureRequest) =>
  canonicalJson({
    op: "Capture",
    holdId: request.holdId,
    amount: request.amount ?? null,
    final: request.final ?? true,
    allowDebt: request.allowDebt ?? false,
    reference: request.reference ?? null,
    metadata: request.metadata ?? {},
    ...whenSet("member", request.member),
  })

/**
 * Settles part or all of a hold as a usage entry linked to it. A capture after the deadline fails
 * with HoldExpired, and releases the hold as expired in the same write.
 */
export const capture = (request: CaptureRequest, nowMs: number): Step<WriteResult> =>
  keyed(
    request.accountId,
    request.idempotencyKey,
    () => captureFingerprint(request),
    (snapshot) => {
      const { state } = snapshot
      const { accountId, holdId } = request
      const hold = openHold(accountId, holdId, snapshot.hold)
      if ("_tag" in hold) return refused(hold)
      if (isPastDeadline(hold, nowMs)) {
        const expired = releaseHold(state, hold, nowMs, iso(nowMs))
        const error = new HoldExpired({ accountId, holdId, expiresAt: hold.expiresAt! })
        return { outcome: { _tag: "Refused", error }, change: expired }
      }
      const terms = { amount: request.amount, final: request.final ?? true, allowDebt: request.allowDebt ?? false }
      const decision = captureHold(state, hold, terms)
      if (!("decision" in decision)) return { outcome: { _tag: "Refused", error: decision } }
      const member = request.member ?? hold.member
      const members = captureMembers(state, hold, member, decision, nowMs)
      if (!("usage" in members)) return { outcome: { _tag: "Refused", error: members } }
      const entry = nextEntry(accountId, state, decision.decision, {
        kind: "usage",
        holdId,
        idempotencyKey: request.idempotencyKey,
        reference: request.reference ?? hold.reference,
        metadata: request.metadata,
        overdrawn: decision.overdrawn,
        member,
        createdAt: iso(nowMs),
      })
      const after: Hold = {
        ...hold,
        captured: decision.captured,
        excess: decision.excess,
        ...(decision.resolves ? { status: "captured", resolvedAt: iso(nowMs) } : {}),
      }
      const afterState = { ...afterEntry(state, entry), held: decision.heldAfter, members }
      return debited(after, state, afterState, entry, nowMs)
    },
  )

/**
 * The members' usage after a capture: the hold's member gets back what the capture settles or
 * releases of its counted reservation, and the capture's member is charged what it took. Only what
 * the capture takes beyond the member's own hold is checked against its limit: the reservation was
 * checked when the hold was placed, or was placed before the limits, which never refuse what it took.
 */
const captureMembers = (
  state: AccountState,
  hold: Hold,
  member: string | undefined,
  decision: Captured,
  nowMs: number,
) => {
  const remaining = remainingOf(hold)
  const counted = holdCounts(state.members, hold)
  const taken = -decision.decision.applied
  const fresh = member === hold.member ? taken - Math.min(taken, remaining) : taken
  if (fresh > 0) {
    const exceeded = checkMemberDebit(hold.accountId, state.members, member, fresh, nowMs)
    if (exceeded !== undefined) return exceeded
  }
  const remainingAfter = decision.resolves ? 0 : hold.amount - decision.captured
  const released = counted
    ? chargeMember(state.members, hold.member, { spent: 0, held: remainingAfter - remaining }, nowMs)
    : state.members
  return chargeMember(released, member, { spent: taken, held: 0 }, nowMs)
}

/** Frees what a hold still reserves; past its deadline, as expired. */
export const release = (request: ReleaseRequest, nowMs: number): Step<WriteResult> =>
  keyed(
    request.accountId,
    request.idempotencyKey,
    () => canonicalJson({ op: "Release", holdId: request.holdId }),
    ({ state, ...snapshot }) => {
      const hold = openHold(request.accountId, request.holdId, snapshot.hold)
      if ("_tag" in hold) return refused(hold)
      const released = releaseHold(state, hold, nowMs, iso(nowMs))
      return changed(released.hold, released.state, null)
    },
  )

/**
 * Releases a hold whose deadline has passed, if it is still open: what the expiry sweep runs. It
 * needs no key and leaves no trace to look up: run again, it finds the hold resolved and does nothing.
 */
export const expire =
  (nowMs: number): Step<boolean> =>
  ({ state, hold }) => {
    if (hold === undefined || hold.status !== "open" || !isPastDeadline(hold, nowMs)) return { result: false }
    return { result: true, ...releaseHold(state, hold, nowMs, iso(nowMs)) }
  }
