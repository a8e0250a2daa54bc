import * as Effect from "effect/Effect"
import { AccountId } from "./AccountId.ts"
import { AccountNotFound } from "./AccountNotFound.ts"
import {
  type AccountBalances,
  type AccountSettings,
  type AccountState,
  accountWritten,
  balancesOf,
} from "./AccountState.ts"
import type { Balance } from "./Credits.ts"
import type { Entry } from "./Entry.ts"
import { type ExpiresNext, expiresNext } from "./grants/Expiry.ts"
import type {
  BalanceAtCeiling,
  BalanceLimitExceeded,
  IdempotencyConflict,
  InsufficientCredits,
  OverdraftLimitBelowDebt,
  StoreError,
} from "./LedgerError.ts"
import { validateRequest as validate } from "./LedgerError.ts"
import { SettingsRequest, SpendRequest, TopUpRequest, type WriteRequest } from "./LedgerRequest.ts"
import type { LedgerStore } from "./LedgerStore.ts"
import { asPosting, iso, ledgerWrites, type Posting, type ReadError, type WriteError } from "./LedgerWrites.ts"
import { configure, post } from "./Posting.ts"
import type { MemberLimitExceeded } from "./wallets/MemberLimitExceeded.ts"

/** What a top-up or a spend can break: one type for both, so code may pick either in one expression. */
export type BalanceRejection = BalanceAtCeiling | InsufficientCredits | BalanceLimitExceeded | MemberLimitExceeded

/** What `writeDecoded` answers: a top-up or a spend posts its entry, or its balance rules refuse it. */
export type BalanceWriteResult =
  | { readonly _tag: "Posted"; readonly entry: Entry; readonly replayed: boolean }
  | { readonly _tag: "Refused"; readonly error: BalanceRejection | IdempotencyConflict; readonly replayed: boolean }

/** The balance answer: the account's credits, and what of them expires next (null when no live grant expires). */
export interface BalanceAnswer extends AccountBalances {
  readonly expiresNext: ExpiresNext
}

const balanceAnswerOf = (state: AccountState): BalanceAnswer => ({
  ...balancesOf(state),
  expiresNext: expiresNext(state.grants),
})

/** The core of the ledger: credits in and out, the balance, the account's settings. */
export interface BalanceOperations {
  readonly topUp: (request: typeof TopUpRequest.Encoded) => Effect.Effect<Posting, WriteError<BalanceRejection>>
  readonly spend: (request: typeof SpendRequest.Encoded) => Effect.Effect<Posting, WriteError<BalanceRejection>>
  /**
   * A top-up or spend already decoded with the domain's schemas (its branded values say so), as the
   * HTTP API's schemas decode it: nothing is validated twice. Its rule refusal is a value, not a
   * failure, so the caller also learns whether the refusal replays an earlier write with the same
   * key (HTTP answers it with `Idempotent-Replayed: true`).
   */
  readonly writeDecoded: (request: WriteRequest) => Effect.Effect<BalanceWriteResult, StoreError>
  readonly balance: (accountId: string) => Effect.Effect<Balance, ReadError>
  /** The balance, what open holds reserve of it, what is available, and what expires next. */
  readonly balances: (accountId: string) => Effect.Effect<BalanceAnswer, ReadError>
  /** `balances`, for an account something was written to: the HTTP API tells a mistyped id from an empty account. */
  readonly writtenBalances: (accountId: string) => Effect.Effect<BalanceAnswer, AccountNotFound | ReadError>
  readonly settings: (accountId: string) => Effect.Effect<AccountSettings, ReadError>
  readonly updateSettings: (
    request: typeof SettingsRequest.Encoded,
  ) => Effect.Effect<AccountSettings, OverdraftLimitBelowDebt | StoreError>
}

export const balanceOperations = (store: LedgerStore["Service"]): BalanceOperations => {
  const { transact, commit } = ledgerWrites(store)
  const validAccountId = validate(AccountId)
  // A pending credit is written to its account without touching the account's state.
  const answerIfPendingCredits = (accountId: AccountId, state: AccountState) =>
    Effect.flatMap(store.pendingCredits(accountId, { limit: 1 }), (credits) =>
      credits.length > 0 ? Effect.succeed(balanceAnswerOf(state)) : Effect.fail(new AccountNotFound({ accountId })),
    )
  return {
    topUp: (input) =>
      validate(TopUpRequest)(input).pipe(
        Effect.flatMap((request) =>
          commit<BalanceRejection>(request, (now) => post({ _tag: "TopUp", ...request }, iso(now))),
        ),
        Effect.flatMap(asPosting),
      ),
    spend: (input) =>
      validate(SpendRequest)(input).pipe(
        Effect.flatMap((request) =>
          commit<BalanceRejection>(request, (now) => post({ _tag: "Spend", ...request }, iso(now))),
        ),
        Effect.flatMap(asPosting),
      ),
    // `post` only posts entries and refuses by the balance rules, and a key replays only what it posted.
    writeDecoded: (request) =>
      transact(request, (now) => post(request, iso(now))) as Effect.Effect<BalanceWriteResult, StoreError>,
    balance: (accountId) =>
      validAccountId(accountId).pipe(
        Effect.flatMap(store.account),
        Effect.map((state) => state.balance),
      ),
    balances: (accountId) => validAccountId(accountId).pipe(Effect.flatMap(store.account), Effect.map(balanceAnswerOf)),
    writtenBalances: (accountId) =>
      validAccountId(accountId).pipe(
        Effect.flatMap((id) =>
          Effect.flatMap(store.account(id), (state) =>
            accountWritten(state) ? Effect.succeed(balanceAnswerOf(state)) : answerIfPendingCredits(id, state),
          ),
        ),
      ),
    settings: (accountId) =>
      validAccountId(accountId).pipe(
        Effect.flatMap(store.account),
        Effect.map(({ overdraftLimit }) => ({ overdraftLimit })),
      ),
    updateSettings: (input) =>
      validate(SettingsRequest)(input).pipe(
        Effect.flatMap((request) => store.transact(request, configure(request))),
        Effect.flatMap((result) => ("_tag" in result ? Effect.fail(result) : Effect.succeed(result))),
      ),
  }
}
