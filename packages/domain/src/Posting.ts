import type { AccountSettings, AccountState } from "./AccountState.ts"
import type { Accepted } from "./Decision.ts"
import type { Entry } from "./Entry.ts"
import type { IdempotencyKey } from "./IdempotencyKey.ts"
import { IdempotencyConflict, OverdraftLimitBelowDebt, type RuleRejection, rejectionError } from "./LedgerError.ts"
import type { SettingsRequest, WriteRequest } from "./LedgerRequest.ts"
import { noMetadata } from "./Metadata.ts"
import { applySpend } from "./Spend.ts"
import { applyTopUp } from "./TopUp.ts"

/**
 * The ledger's rules as pure steps on one account: given its current state (and what an
 * idempotency key already produced), a step returns its result and what to persist. Storage
 * adapters run steps with exclusive access to the account and persist the transition atomically;
 * they never decide anything themselves.
 */

/** The final outcome of a keyed write, returned again on every retry with that key. */
export type Outcome =
  | { readonly _tag: "Posted"; readonly entry: Entry }
  | { readonly _tag: "Refused"; readonly error: RuleRejection }

export interface IdempotencyRecord {
  readonly key: IdempotencyKey
  /** The request the key was first used for, as canonical JSON. */
  readonly fingerprint: string
  readonly outcome: Outcome
}

export interface AccountSnapshot {
  readonly state: AccountState
  /** The record of the write's idempotency key, if the key was used before. */
  readonly prior: IdempotencyRecord | undefined
}

/** What a step asks storage to persist, all or nothing. */
export interface Transition<A> {
  readonly result: A
  readonly state?: AccountState
  readonly entry?: Entry
  readonly record?: IdempotencyRecord
}

export type Step<A> = (snapshot: AccountSnapshot) => Transition<A>

/** A write's outcome; `replayed` when it is the stored outcome of an earlier write with the same key. */
export type WriteResult =
  | { readonly _tag: "Posted"; readonly entry: Entry; readonly replayed: boolean }
  | { readonly _tag: "Refused"; readonly error: RuleRejection | IdempotencyConflict; readonly replayed: boolean }

/** Deterministic JSON with sorted keys, so equal requests compare equal as text. */
export const canonicalJson = (value: unknown): string =>
  JSON.stringify(value, (_key, v) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  )

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
        }
      : { op: "Spend", amount: request.amount, mode: request.mode ?? "exact", metadata: request.metadata ?? {} },
  )

const decide = (state: AccountState, request: WriteRequest) =>
  request._tag === "TopUp"
    ? applyTopUp(state.balance, request.amount, request.ceiling)
    : applySpend(state.balance, request.amount, {
        overdraftLimit: state.overdraftLimit,
        mode: request.mode ?? "exact",
      })

const entryOf = (request: WriteRequest, state: AccountState, decision: Accepted, createdAt: string): Entry => ({
  accountId: request.accountId,
  sequence: state.sequence + 1,
  kind: request._tag === "TopUp" ? (request.kind ?? "top-up") : "usage",
  decision: decision._tag,
  requested: decision.requested,
  amount: decision.applied,
  balanceAfter: decision.balanceAfter,
  idempotencyKey: request.idempotencyKey ?? null,
  metadata: request.metadata ?? noMetadata,
  createdAt,
})

/** Decides one write on the account's current state; a rejection changes nothing but its key. */
export const post =
  (request: WriteRequest, createdAt: string): Step<WriteResult> =>
  ({ state, prior }) => {
    if (prior !== undefined) {
      if (prior.fingerprint !== fingerprint(request)) {
        const error = new IdempotencyConflict({ accountId: request.accountId, idempotencyKey: prior.key })
        return { result: { _tag: "Refused", error, replayed: false } }
      }
      return { result: { ...prior.outcome, replayed: true } }
    }
    const decision = decide(state, request)
    const outcome: Outcome =
      decision._tag === "Rejected"
        ? { _tag: "Refused", error: rejectionError(decision) }
        : { _tag: "Posted", entry: entryOf(request, state, decision, createdAt) }
    const key = request.idempotencyKey
    const record = key === undefined ? {} : { record: { key, fingerprint: fingerprint(request), outcome } }
    if (outcome._tag === "Refused") return { result: { ...outcome, replayed: false }, ...record }
    const next = { ...state, balance: outcome.entry.balanceAfter, sequence: outcome.entry.sequence }
    return { result: { ...outcome, replayed: false }, state: next, entry: outcome.entry, ...record }
  }

/** Changes an account's settings, refusing an overdraft limit its current debt already exceeds. */
export const configure =
  (request: SettingsRequest): Step<AccountSettings | OverdraftLimitBelowDebt> =>
  ({ state }) => {
    if (state.balance < -request.overdraftLimit) {
      return { result: new OverdraftLimitBelowDebt({ balance: state.balance, overdraftLimit: request.overdraftLimit }) }
    }
    const settings = { overdraftLimit: request.overdraftLimit }
    return { result: settings, state: { ...state, ...settings } }
  }
