import { type AutoTopUpState, noAutoTopUp } from "./autoTopUp/AutoTopUpRequest.ts"
import type { Balance, OverdraftLimit } from "./Credits.ts"
import { type Grant, noGrants } from "./grants/Grant.ts"
import { noRefill, type RefillState } from "./refills/Refill.ts"
import { type MembersState, noMembers } from "./wallets/MemberLimits.ts"

/**
 * What the ledger keeps per account besides its entries, holds and auto top-up requests. `sequence`
 * is the newest entry's number; `held` the credits open holds reserve; `holdsPlaced` counts holds, so
 * the next hold's id is `holdsPlaced + 1`. The account's available balance is `balance - held`.
 * `autoTopUp` and `refill` are their settings and where they stand (`noAutoTopUp` and `noRefill`, the
 * same objects, until they are configured). `grants` are its live grants in draw-down order
 * (`noGrants`, the same empty list, for an account that never had one). `members` are its member
 * limits and what its members used of them (`noMembers`, the same object, until limits are set).
 */
export interface AccountState {
  readonly balance: Balance
  readonly sequence: number
  readonly overdraftLimit: OverdraftLimit
  readonly held: number
  readonly holdsPlaced: number
  readonly autoTopUp: AutoTopUpState
  readonly refill: RefillState
  readonly grants: ReadonlyArray<Grant>
  readonly members: MembersState
}

/** Accounts come into being on first use with this state. */
export const newAccountState: AccountState = {
  balance: 0 as Balance,
  sequence: 0,
  overdraftLimit: 0 as OverdraftLimit,
  held: 0,
  holdsPlaced: 0,
  autoTopUp: noAutoTopUp,
  refill: noRefill,
  grants: noGrants,
  members: noMembers,
}

export interface AccountSettings {
  readonly overdraftLimit: OverdraftLimit
}

/**
 * Whether anything was ever written to the account (an entry, a hold, its settings, auto top-up or
 * refill, member limits): stores answer an account they have no row for with `newAccountState`.
 */
export const accountWritten = (state: AccountState): boolean =>
  state.sequence > 0 ||
  state.holdsPlaced > 0 ||
  state.overdraftLimit !== 0 ||
  state.autoTopUp.settings !== null ||
  state.refill.settings !== null ||
  state.members.limits !== null

/** An account's credits as a caller sees them: `available` is what spends and holds may use. */
export interface AccountBalances {
  readonly balance: Balance
  readonly held: number
  readonly available: number
}

export const balancesOf = (state: AccountState): AccountBalances => ({
  balance: state.balance,
  held: state.held,
  available: state.balance - state.held,
})

/** The lowest balance the account's rules let a spend or a hold reach. */
export const floorOf = (state: AccountState): number => 0 - state.overdraftLimit
