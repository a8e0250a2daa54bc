import type { Balance, OverdraftLimit } from "./Credits.ts"

/**
 * What the ledger keeps per account besides its entries and holds. `sequence` is the newest entry's
 * number; `held` the credits open holds reserve; `holdsPlaced` counts holds, so the next hold's id is
 * `holdsPlaced + 1`. The account's available balance is `balance - held`.
 */
export interface AccountState {
  readonly balance: Balance
  readonly sequence: number
  readonly overdraftLimit: OverdraftLimit
  readonly held: number
  readonly holdsPlaced: number
}

/** Accounts come into being on first use with this state. */
export const newAccountState: AccountState = {
  balance: 0 as Balance,
  sequence: 0,
  overdraftLimit: 0 as OverdraftLimit,
  held: 0,
  holdsPlaced: 0,
}

export interface AccountSettings {
  readonly overdraftLimit: OverdraftLimit
}

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
