import * as Schema from "effect/Schema"
import { Limits } from "./Limits.ts"

/**
 * An integer of credits within [minimum, maximum], its range checked first: 2^53 is an integer, just
 * past the bound, and a caller needs to hear the bound (as -5 does), not "Expected an integer".
 */
export const creditsBetween = (minimum: number, maximum: number) =>
  Schema.Number.check(Schema.isBetween({ minimum, maximum }), Schema.isInt())

/** A positive amount of credits to move, in minor units. */
export const Amount = creditsBetween(1, Limits.amountMax).pipe(Schema.brand("Amount"))
export type Amount = typeof Amount.Type

/** An account's balance in minor units; negative only within an overdraft. */
export const Balance = creditsBetween(-Limits.overdraftLimitMax, Limits.balanceMax).pipe(Schema.brand("Balance"))
export type Balance = typeof Balance.Type

/** The cap a top-up may not push the balance past. */
export const Ceiling = creditsBetween(0, Limits.balanceMax).pipe(Schema.brand("Ceiling"))
export type Ceiling = typeof Ceiling.Type

/** How far below zero an account may spend; its floor is -overdraftLimit. */
export const OverdraftLimit = creditsBetween(0, Limits.overdraftLimitMax).pipe(Schema.brand("OverdraftLimit"))
export type OverdraftLimit = typeof OverdraftLimit.Type

export const amount = Schema.decodeUnknownSync(Amount)
export const balance = Schema.decodeUnknownSync(Balance)
export const ceiling = Schema.decodeUnknownSync(Ceiling)
export const overdraftLimit = Schema.decodeUnknownSync(OverdraftLimit)

/** The balance of an account that has never been touched. */
export const zeroBalance = 0 as Balance
export const noOverdraft = 0 as OverdraftLimit
