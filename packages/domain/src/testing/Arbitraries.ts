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
 * lets them (the available balance is at or above the floor). A balance other than 0 took an entry,
 * and credits held took a hold.
 */
export const accountState: fc.Arbitrary<AccountState> = overdraftLimit.chain((limit) =>
  balance(limit).chain((b) =>
    credits(0, Math.min(b + limit, Limits.balanceMax)).chain((held) =>
      fc.record({
        balance: fc.constant(b),
        overdraftLimit: fc.constant(limit),
        held: fc.constant(held),
        sequence: b === 0 ? fc.nat() : fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        holdsPlaced: held === 0 ? fc.nat() : fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        autoTopUp: fc.constant(noAutoTopUp),
        refill: fc.constant(noRefill),
        grants: fc.constant(noGrants),
        members: fc.constant(noMembers),
      }),
    ),
  ),
)

/** A value drawn at one of `edges` half the time (those within the range), else from `anywhere`. */
const nearEdges = (edges: ReadonlyArray<number>, min: number, max: number, anywhere: fc.Arbitrary<number>) => {
  const inRange = edges.filter((edge) => Number.isSafeInteger(edge) && edge >= min && edge <= max)
  return inRange.length === 0 ? anywhere : fc.oneof(fc.constantFrom(...inRange), anywhere)
}

/**
 * A top-up against a balance, with a ceiling half the time at an edge between them, where ceiling
 * rules break: at the balance, one below or above it, where the top-up lands exactly, one short of
 * it or one past it. Balances may be negative (an overdraft), amounts may reach the largest balance.
 */
export const topUpCase: fc.Arbitrary<{
  readonly balance: Balance
  readonly amount: Amount
  readonly ceiling: Ceiling
}> = overdraftLimit.chain((limit) =>
  fc.tuple(balance(limit), amount).chain(([b, a]) =>
    fc.record({
      balance: fc.constant(b),
      amount: fc.constant(a),
      ceiling: nearEdges([b, b - 1, b + 1, b + a, b + a - 1, b + a + 1], 0, Limits.balanceMax, ceiling),
    }),
  ),
) as fc.Arbitrary<{ readonly balance: Balance; readonly amount: Amount; readonly ceiling: Ceiling }>

/**
 * An account and a spend, the amount half the time at an edge of what it may spend: its available
 * balance down to the floor exactly, one less, one more.
 */
export const spendCase: fc.Arbitrary<{ readonly state: AccountState; readonly amount: Amount }> = accountState.chain(
  (state) => {
    const spendable = state.balance - state.held + state.overdraftLimit
    return fc.record({
      state: fc.constant(state),
      amount: nearEdges([spendable, spendable - 1, spendable + 1], 1, Limits.amountMax, amount) as fc.Arbitrary<Amount>,
    })
  },
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

/** Sequences long enough to fill and drain an account several times (fast-check's default size stops near 10). */
export const operations = (
  constraints: fc.ArrayConstraints = { maxLength: 60, size: "medium" },
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
