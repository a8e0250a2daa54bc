import * as Schema from "effect/Schema"
import type { AccountId } from "./AccountId.ts"
import type { AccountBalances, AccountSettings, AccountState } from "./AccountState.ts"
import { withAutoTopUp } from "./autoTopUp/AfterDebit.ts"
import type { AutoTopUpRequest } from "./autoTopUp/AutoTopUpRequest.ts"
import { canonicalJson } from "./CanonicalJson.ts"
import type { Accepted } from "./Decision.ts"
import type { Entry } from "./Entry.ts"
import type { NewLedgerEvent } from "./events/LedgerEvent.ts"
import type { Grant, GrantTerms } from "./grants/Grant.ts"
import { settleGrants } from "./grants/GrantSettlement.ts"
import type { Hold } from "./holds/Hold.ts"
import type { IdempotencyKey } from "./IdempotencyKey.ts"
import { IdempotencyConflict, OverdraftLimitBelowDebt, RuleRejection, rejectionError } from "./LedgerError.ts"
import type { SettingsRequest, WriteRequest } from "./LedgerRequest.ts"
import { noMetadata } from "./Metadata.ts"
import type { PendingCredit } from "./pendingCredits/PendingCredit.ts"
import type { RefillRecord } from "./refills/RefillRecord.ts"
import { applySpend } from "./Spend.ts"
import { applyTopUp } from "./TopUp.ts"
import { chargeMember, checkMemberDebit } from "./wallets/MemberSpending.ts"

/**
 * The ledger's rules as pure steps on one account: given what the write touches (the account's
 * state, what its idempotency key already produced, the hold it names, the entry it refunds), a
 * step returns its result and what to persist. Storage adapters load those rows with exclusive
 * access to the account and persist the transition atomically; they never decide anything.
 */

/** The final outcome of a keyed write, returned again on every retry with that key. */
export type Outcome =
  | { readonly _tag: "Posted"; readonly entry: Entry }
  | {
      readonly _tag: "HoldChanged"
      /** The hold as the write left it. */
      readonly hold: Hold
      /** The entry a capture appended. */
      readonly entry: Entry | null
      readonly balances: AccountBalances
    }
  | {
      readonly _tag: "AutoTopUpChanged"
      /** The request as the write left it. */
      readonly request: AutoTopUpRequest
      /** The `top-up` entry a completion appended. */
      readonly entry: Entry | null
    }
  | {
      readonly _tag: "PendingCreditChanged"
      /** The pending credit as the write left it. */
      readonly pendingCredit: PendingCredit
      /** The entry an activation appended. */
      readonly entry: Entry | null
      readonly balances: AccountBalances
    }
  | { readonly _tag: "Refused"; readonly error: RuleRejection }

export interface IdempotencyRecord {
  readonly key: IdempotencyKey
  /** The request the key was first used for, as canonical JSON. */
  readonly fingerprint: string
  readonly outcome: Outcome
}

const decodeRefusal = Schema.decodeUnknownSync(RuleRejection)

/**
 * A record's outcome as the ledger answers it. A refusal's error is a class instance, and an adapter
 * that serializes records (JSON, a document store) gets back its fields only: they are made the
 * tagged error again, so either form may be stored.
 */
export const storedOutcome = (outcome: Outcome): Outcome =>
  outcome._tag === "Refused" && !(outcome.error instanceof Error)
    ? { _tag: "Refused", error: decodeRefusal(outcome.error) }
    : outcome

/** An entry that added credits, with what refunds have already returned of it. */
export interface RefundTarget {
  readonly entry: Entry
  readonly refunded: number
}

/** What a write touches, as it stands under the account's exclusive access. */
export interface AccountSnapshot {
  readonly state: AccountState
  /** The record of the write's idempotency key, if the key was used before. */
  readonly prior: IdempotencyRecord | undefined
  /** The hold the write names, if it exists. */
  readonly hold?: Hold | undefined
  /** The entry the write refunds, if it exists. */
  readonly refundTarget?: RefundTarget | undefined
  /** The auto top-up request the write completes, fails or expires, if it exists. */
  readonly autoTopUpRequest?: AutoTopUpRequest | undefined
  /** The pending credit the write activates, voids or expires, if it exists. */
  readonly pendingCredit?: PendingCredit | undefined
  /** How many pending credits the account has had, when the write records one (the next id is one more). */
  readonly pendingCreditsOpened?: number | undefined
}

/** What a step asks storage to persist, all or nothing; what is undefined stays as it is. */
export interface Transition<A> {
  readonly result: A
  readonly state?: AccountState | undefined
  readonly entry?: Entry | undefined
  readonly record?: IdempotencyRecord | undefined
  /** The hold it places or changes (inserted or updated by its id). */
  readonly hold?: Hold | undefined
  /** The auto top-up request it opens or resolves (inserted or updated by its id). */
  readonly autoTopUpRequest?: AutoTopUpRequest | undefined
  /** The refill period it settles (inserted; a period is settled once). */
  readonly refill?: RefillRecord | undefined
  /** What the change causes, for the event feed, in order. */
  readonly events?: ReadonlyArray<NewLedgerEvent> | undefined
  /** The grants it makes or changes (inserted or updated by their id), spent and expired ones included. */
  readonly grants?: ReadonlyArray<Grant> | undefined
  /** The pending credit it records or resolves (inserted or updated by its id). */
  readonly pendingCredit?: PendingCredit | undefined
}

export type Step<A> = (snapshot: AccountSnapshot) => Transition<A>

/** What a write changes on its account, besides recording its key. */
export type Change = Omit<Transition<never>, "result" | "record">

/** A write's outcome; `replayed` when it is the stored outcome of an earlier write with the same key. */
export type WriteResult =
  | ({ readonly replayed: boolean } & Exclude<Outcome, { readonly _tag: "Refused" }>)
  | { readonly _tag: "Refused"; readonly error: RuleRejection | IdempotencyConflict; readonly replayed: boolean }

export { canonicalJson }

/** Optional fields added after keys were first recorded join a fingerprint only when set, so old keys still replay. */
export const whenSet = <K extends string, V>(name: K, value: V | undefined): { [P in K]?: V } =>
  value === undefined ? {} : ({ [name]: value } as { [P in K]: V })

/**
 * Applies the idempotency rule around a decision: a key used before answers its first outcome (or
 * a conflict when the request differs) and changes nothing; otherwise the decision's outcome and
 * change, with the key's record. The fingerprint is computed only when a key needs it.
 */
export const keyed =
  (
    accountId: AccountId,
    key: IdempotencyKey | undefined,
    fingerprintOf: () => string,
    decide: (snapshot: AccountSnapshot) => {
      readonly outcome: Outcome
      readonly change?: Change | undefined
      /** The write asks for what already happened (a request failed again): its outcome, nothing changed. */
      readonly replayed?: boolean
      /** A credit's grant terms: with either, the credit makes a grant. */
      readonly grantTerms?: GrantTerms | undefined
    },
  ): Step<WriteResult> =>
  (snapshot) => {
    const { prior } = snapshot
    if (prior !== undefined) {
      if (prior.fingerprint !== fingerprintOf()) {
        const error = new IdempotencyConflict({ accountId, idempotencyKey: prior.key })
        return { result: { _tag: "Refused", error, replayed: false } }
      }
      return { result: { ...storedOutcome(prior.outcome), replayed: true } }
    }
    const decided = decide(snapshot)
    const { outcome, change, replayed = false } = settleGrants(accountId, snapshot.state, decided, decided.grantTerms)
    const result: WriteResult = { ...outcome, replayed }
    // One object shape for every transition: this runs for every write.
    return {
      result,
      state: change?.state,
      entry: change?.entry,
      record: key === undefined ? undefined : { key, fingerprint: fingerprintOf(), outcome },
      hold: change?.hold,
      autoTopUpRequest: change?.autoTopUpRequest,
      refill: change?.refill,
      events: change?.events,
      grants: change?.grants,
      pendingCredit: change?.pendingCredit,
    }
  }

/** What a kind of write sets on its entry; the rest stays empty. */
export interface EntryFields {
  readonly kind: Entry["kind"]
  readonly createdAt: string
  readonly idempotencyKey?: string | null | undefined
  readonly reference?: string | null | undefined
  readonly holdId?: number | null | undefined
  readonly refundOf?: number | null | undefined
  readonly reason?: string | null | undefined
  readonly actor?: string | null | undefined
  readonly overdrawn?: boolean | undefined
  readonly metadata?: Entry["metadata"] | undefined
  readonly member?: string | undefined
}

/**
 * The next entry of an account. One literal in the order of `Entry`'s fields, as the stores read
 * entries back, so an answer and its replay print alike; and no spreads on the hot path (writes
 * that name no member).
 */
export const nextEntry = (
  accountId: AccountId,
  state: AccountState,
  decision: Accepted,
  fields: EntryFields,
): Entry => {
  const entry: Entry = {
    accountId,
    sequence: state.sequence + 1,
    kind: fields.kind,
    decision: decision._tag,
    requested: decision.requested,
    amount: decision.applied,
    balanceAfter: decision.balanceAfter,
    idempotencyKey: fields.idempotencyKey ?? null,
    reference: fields.reference ?? null,
    holdId: fields.holdId ?? null,
    refundOf: fields.refundOf ?? null,
    reason: fields.reason ?? null,
    actor: fields.actor ?? null,
    overdrawn: fields.overdrawn ?? false,
    metadata: fields.metadata ?? noMetadata,
    createdAt: fields.createdAt,
  }
  // Only entries that name a member carry the key: the others stay as they were.
  return fields.member === undefined ? entry : { ...entry, member: fields.member }
}

/** A step's answer for an entry it posts, and the account after it. */
export const posted = (state: AccountState, entry: Entry) => ({
  outcome: { _tag: "Posted" as const, entry },
  change: { state: afterEntry(state, entry), entry },
})

/** The account after an entry. */
export const afterEntry = (state: AccountState, entry: Entry): AccountState => ({
  ...state,
  balance: entry.balanceAfter,
  sequence: entry.sequence,
})

/**
 * Everything that makes two writes the same request, with defaults filled in so that spelling a
 * default out is still the same request; the key itself is not part of it.
 */
export const fingerprint = (request: WriteRequest): string =>
  canonicalJson(
    request._tag === "TopUp"
      ? {
          op: "TopUp",
          amount: request.amount,
          ceiling: request.ceiling ?? null,
          kind: request.kind ?? "top-up",
          metadata: request.metadata ?? {},
          ...whenSet("reference", request.reference),
          ...whenSet("expiresAt", request.expiresAt),
          ...whenSet("priority", request.priority),
          ...whenSet("member", request.member),
        }
      : {
          op: "Spend",
          amount: request.amount,
          mode: request.mode ?? "exact",
          metadata: request.metadata ?? {},
          ...whenSet("reference", request.reference),
          ...whenSet("member", request.member),
        },
  )

const decide = (state: AccountState, request: WriteRequest) =>
  request._tag === "TopUp"
    ? applyTopUp(state.balance, request.amount, request.ceiling)
    : applySpend(state.balance, request.amount, {
        overdraftLimit: state.overdraftLimit,
        mode: request.mode ?? "exact",
        held: state.held,
      })

/**
 * Decides a top-up or a spend on the account's current state; a rejection changes nothing but its key.
 * A spend naming a member of a wallet with member limits is also checked against the member's limit
 * (after the balance: a spend the balance refuses is refused for that) and counted. A spend may also
 * open an auto top-up request (`withAutoTopUp`).
 */
export const post = (request: WriteRequest, createdAt: string): Step<WriteResult> =>
  keyed(
    request.accountId,
    request.idempotencyKey,
    () => fingerprint(request),
    ({ state }) => {
      const decision = decide(state, request)
      if (decision._tag === "Rejected")
        return { outcome: { _tag: "Refused", error: rejectionError(decision, state.held) } }
      const entry = nextEntry(request.accountId, state, decision, {
        kind: request._tag === "TopUp" ? (request.kind ?? "top-up") : "usage",
        idempotencyKey: request.idempotencyKey,
        metadata: request.metadata,
        reference: request.reference,
        member: request.member,
        createdAt,
      })
      if (request._tag === "TopUp") {
        return {
          outcome: { _tag: "Posted", entry },
          change: { state: afterEntry(state, entry), entry },
          grantTerms: request,
        }
      }
      let after = afterEntry(state, entry)
      if (request.member !== undefined && state.members.limits !== null) {
        const nowMs = Date.parse(createdAt)
        const spent = -decision.applied
        const exceeded = checkMemberDebit(request.accountId, state.members, request.member, spent, nowMs)
        if (exceeded !== undefined) return { outcome: { _tag: "Refused", error: exceeded } }
        after = { ...after, members: chargeMember(state.members, request.member, { spent, held: 0 }, nowMs) }
      }
      const change: Change = { state: after, entry }
      return { outcome: { _tag: "Posted", entry }, change: withAutoTopUp(request.accountId, state, change, createdAt) }
    },
  )

/**
 * Changes an account's settings, refusing an overdraft limit that the account's debt, or what its
 * holds reserve, already exceeds.
 */
export const configure =
  (request: SettingsRequest): Step<AccountSettings | OverdraftLimitBelowDebt> =>
  ({ state }) => {
    if (state.balance - state.held < -request.overdraftLimit) {
      const { balance, held } = state
      return { result: new OverdraftLimitBelowDebt({ balance, held, overdraftLimit: request.overdraftLimit }) }
    }
    const settings = { overdraftLimit: request.overdraftLimit }
    return { result: settings, state: { ...state, ...settings } }
  }
