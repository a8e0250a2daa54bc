import type { Balance, OverdraftLimit } from "./Credits.ts"

/** What the ledger keeps per account besides its entries. `sequence` is the newest entry's number. */
export interface AccountState {
  readonly balance: Balance
  readonly sequence: number
  readonly overdraftLimit: OverdraftLimit
}

/** Accounts come into being on first use with this state. */
export const newAccountState: AccountState = { balance: 0 as Balance, sequence: 0, overdraftLimit: 0 as OverdraftLimit }

export interface AccountSettings {
  readonly overdraftLimit: OverdraftLimit
}
