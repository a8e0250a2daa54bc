import { Schema } from "effect"
import { Limits } from "./Limits.ts"

/** A positive amount of credits to move, in minor units. */
export const Amount = Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: Limits.amountMax })).pipe(
  Schema.brand("Amount"),
)
export type Amount = typeof Amount.Type

/** An account's balance in minor units; negative only within an overdraft. */
export const Balance = Schema.Int.check(
  Schema.isBetween({ minimum: -Limits.overdraftLimitMax, maximum: Limits.balanceMax }),
).pipe(Schema.brand("Balance"))
export type Balance = typeof Balance.Type

/** The cap a top-up may not push the balance past. */
export const Ceiling = Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: Limits.balanceMax })).pipe(
  Schema.brand("Ceiling"),
)
export type Ceiling = typeof Ceiling.Type

/** How far below zero an account may spend; its floor is -overdraftLimit. */
export const OverdraftLimit = Schema.Int.check(
  Schema.isBetween({ minimum: 0, maximum: Limits.overdraftLimitMax }),
).pipe(Schema.brand("OverdraftLimit"))
export type OverdraftLimit = typeof OverdraftLimit.Type

export const amount = Schema.decodeUnknownSync(Amount)
export const balance = Schema.decodeUnknownSync(Balance)
export const ceiling = Schema.decodeUnknownSync(Ceiling)
export const overdraftLimit = Schema.decodeUnknownSync(OverdraftLimit)

/** The balance of an account that has never been touched. */
export const zeroBalance = 0 as Balance
export const noOverdraft = 0 as OverdraftLimit
