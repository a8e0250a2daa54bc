import * as fc from "fast-check"
import type { AccountState } from "../AccountState.ts"
import { noAutoTopUp } from "../autoTopUp/AutoTopUpRequest.ts"
import type { AutoTopUpSettings, Threshold } from "../autoTopUp/AutoTopUpSettings.ts"
import type { Amount, Balance, Ceiling, OverdraftLimit } from "../Credits.ts"
import { noGrants } from "../grants/Grant.ts"
import { Limits } from "../Limits.ts"
import { noRefill } from "../refills/Refill.ts"
import type { RefillSchedule } from "../refills/RefillSettings.ts"
import type { SpendMode } from "../Spend.ts"
import { noMembers } from "../wallets/MemberLimits.ts"

/**
 * fast-check arbitraries for valid Tally values, for property-testing billing rules built on Tally.
 * Each mixes small values (where most rules bite) with the full safe range (where overflow bites).
 */
const credits = (min: number, max: number) =>
  fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: Math.max(min, -10_000), max: Math.min(max, 10_000) }) },
    { weight: 1, arbitrary: fc.maxSafeInteger().filter((n) => n >= min && n <= max) },
    { weight: 1, arbitrary: fc.constantFrom(min, max) },
  )

export const amount: fc.Arbitrary<Amount> = credits(1, Limits.amountMax) as fc.Arbitrary<Amount>

export const ceiling: fc.Arbitrary<Ceiling> = credits(0, Limits.balanceMax) as fc.Arbitrary<Ceiling>

export const overdraftLimit: fc.Arbitrary<OverdraftLimit> = fc.oneof(
  { weight: 3, arbitrary: fc.constant(0) },
  { weight: 1, arbitrary: credits(0, Limits.overdraftLimitMax) },
) as fc.Arbitrary<OverdraftLimit>

/** A balance allowed by `overdraftLimit` (no overdraft by default). */
export const balance = (limit = 0): fc.Arbitrary<Balance> =>
  credits(0 - limit, Limits.balanceMax) as fc.Arbitrary<Balance>

export const spendMode: fc.Arbitrary<SpendMode> = fc.constantFrom("exact", "available")

/**
 * An account as the rules leave it without debt: open holds reserve `held`, at most what the floor
 * lets them (the available balance is at or above the floor).
 */
export const accountState: fc.Arbitrary<AccountState> = overdraftLimit.chain((limit) =>
  balance(limit).chain((b) =>
    fc.record({
      balance: fc.constant(b),
      overdraftLimit: fc.constant(limit),
      held: credits(0, Math.min(b + limit, Limits.balanceMax)),
      sequence: fc.nat(),
      holdsPlaced: fc.nat(),
      autoTopUp: fc.constant(noAutoTopUp),
      refill: fc.constant(noRefill),
      grants: fc.constant(noGrants),
      members: fc.constant(noMembers),
    }),
  ),
)

export interface TopUpOperation {
  readonly _tag: "TopUp"
  readonly amount: Amount
  readonly ceiling?: Ceiling
}

export interface SpendOperation {
  readonly _tag: "Spend"
  readonly amount: Amount
  readonly mode: SpendMode
}

export type Operation = TopUpOperation | SpendOperation

/** Amounts in the range of a day's usage, so sequences hit ceilings and floors often. */
const everydayAmount = fc.integer({ min: 1, max: 2_000 }) as fc.Arbitrary<Amount>
const everydayCeiling = fc.integer({ min: 0, max: 5_000 }) as fc.Arbitrary<Ceiling>

export const topUpOperation = (amounts = everydayAmount, ceilings = everydayCeiling): fc.Arbitrary<TopUpOperation> =>
  fc.record({ _tag: fc.constant("TopUp"), amount: amounts, ceiling: ceilings }, { requiredKeys: ["_tag", "amount"] })

export const spendOperation = (amounts = everydayAmount): fc.Arbitrary<SpendOperation> =>
  fc.record({ _tag: fc.constant("Spend"), amount: amounts, mode: spendMode })

export const operation = (amounts = everydayAmount, ceilings = everydayCeiling): fc.Arbitrary<Operation> =>
  fc.oneof(topUpOperation(amounts, ceilings), spendOperation(amounts))

export const operations = (
  constraints: fc.ArrayConstraints = { maxLength: 60 },
  amounts = everydayAmount,
  ceilings = everydayCeiling,
): fc.Arbitrary<ReadonlyArray<Operation>> => fc.array(operation(amounts, ceilings), constraints)

/** Auto top-up settings, consistent (the ceiling, when there is one, at or above the threshold). */
export const autoTopUpSettings = (amounts: fc.Arbitrary<Amount> = everydayAmount): fc.Arbitrary<AutoTopUpSettings> =>
  fc
    .record({
      enabled: fc.boolean(),
      threshold: fc.integer({ min: 0, max: 5_000 }),
      amount: amounts,
      room: fc.option(fc.integer({ min: 0, max: 5_000 }), { nil: null }),
    })
    .map(({ enabled, threshold, amount, room }) => ({
      enabled,
      threshold: threshold as Threshold,
      amount,
      ceiling: room === null ? null : ((threshold + room) as Ceiling),
    }))

export const refillSchedule: fc.Arbitrary<RefillSchedule> = fc.oneof(
  fc.constant({ period: "daily" as const }),
  fc.record({ period: fc.constant("weekly" as const), weekday: fc.integer({ min: 1, max: 7 }) }),
  fc.record({ period: fc.constant("monthly" as const), dayOfMonth: fc.integer({ min: 1, max: 31 }) }),
)

/** Moments between 1970 and 2200, in epoch milliseconds: leap years, month ends and centuries included. */
export const moment: fc.Arbitrary<number> = fc.integer({ min: 0, max: Date.UTC(2200, 0, 1) })
