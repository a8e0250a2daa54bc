import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import { AccountId } from "../AccountId.ts"
import { type StoreError, validateRequest as validate } from "../LedgerError.ts"
import type { LedgerStore } from "../LedgerStore.ts"
import type { ReadError } from "../LedgerWrites.ts"
import type { MembersState } from "./MemberLimits.ts"
import { type MemberLimitsStatus, SetMemberLimitsRequest } from "./MemberLimitsRequest.ts"
import * as MemberLimitsSteps from "./MemberLimitsSteps.ts"

/** Organization wallets: an account's member limits, set under the account's exclusive access. */
export interface WalletOperations {
  readonly memberLimits: (accountId: string) => Effect.Effect<MemberLimitsStatus, ReadError>
  readonly setMemberLimits: (
    request: typeof SetMemberLimitsRequest.Encoded,
  ) => Effect.Effect<MemberLimitsStatus, StoreError>
  readonly removeMemberLimits: (accountId: string) => Effect.Effect<MemberLimitsStatus, StoreError>
}

export const walletOperations = (store: LedgerStore["Service"]): WalletOperations => {
  const validAccountId = validate(AccountId)
  const answer = (accountId: AccountId, members: MembersState) =>
    Effect.map(Clock.currentTimeMillis, (now) => MemberLimitsSteps.limitsStatus(accountId, members, now))
  const statusOf = (accountId: AccountId) =>
    Effect.flatMap(store.account(accountId), (state) => answer(accountId, state.members))
  return {
    memberLimits: (accountId) => validAccountId(accountId).pipe(Effect.flatMap(statusOf)),
    setMemberLimits: (input) =>
      validate(SetMemberLimitsRequest)(input).pipe(
        Effect.flatMap((request) =>
          store
            .transact(request, MemberLimitsSteps.setLimits(request))
            .pipe(Effect.flatMap((members) => answer(request.accountId, members))),
        ),
      ),
    removeMemberLimits: (accountId) =>
      validAccountId(accountId).pipe(
        Effect.flatMap((id) =>
          store
            .transact({ accountId: id }, MemberLimitsSteps.removeLimits)
            .pipe(Effect.flatMap((members) => answer(id, members))),
        ),
      ),
  }
}
