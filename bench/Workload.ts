/**
 * What every implementation is asked to do: the same accounts, the same seed balances and the same
 * stream of operations per client, so cells compare like with like.
 */

/** One cell of the run: how many accounts the operations spread over, and how many clients send them. */
export interface Cell {
  readonly workload: WorkloadName
  readonly accounts: number
  readonly clients: number
  /** Measured time; the warm-up before it is not measured. */
  readonly durationMs: number
  readonly warmupMs: number
}

export type WorkloadName = "hot-account" | "10k-accounts"

export const workloads: ReadonlyArray<{ readonly workload: WorkloadName; readonly accounts: number }> = [
  { workload: "hot-account", accounts: 1 },
  { workload: "10k-accounts", accounts: 10_000 },
]

/** Every account starts here, far from both bounds, so spends and top-ups mostly go through. */
export const seedBalance = 500_000
/** 409s with these tags are the workload's normal outcomes over HTTP: rejected by a rule, not failed. */
export const rejectionTags: ReadonlyArray<string> = ["BalanceAtCeiling", "InsufficientCredits", "BalanceLimitExceeded"]
/** The ceiling every top-up carries. */
export const ceiling = 1_000_000
/** Amounts are drawn uniformly from 1..amountMax. */
export const amountMax = 100

export interface Operation {
  readonly kind: "top-up" | "spend"
  /** Index into `accountIds`. */
  readonly account: number
  readonly amount: number
}

/** What an implementation reports back for one operation; anything else is a failure. */
export type Outcome = { readonly _tag: "Applied"; readonly amount: number } | { readonly _tag: "Rejected" }

export const applied = (amount: number): Outcome => ({ _tag: "Applied", amount })
export const rejected: Outcome = { _tag: "Rejected" }

export const accountIds = (accounts: number): ReadonlyArray<string> =>
  Array.from({ length: accounts }, (_, i) => (accounts === 1 ? "hot" : `acct-${String(i).padStart(5, "0")}`))

/** mulberry32: a small seeded generator, so a client's operations are the same for every implementation. */
const random = (seed: number) => {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

/** The operations of one client: half ceiling'd top-ups, half spends, on accounts chosen uniformly. */
export const operations = (accounts: number, client: number): (() => Operation) => {
  const next = random(0x7a11 + client * 7919)
  return () => ({
    kind: next() < 0.5 ? "top-up" : "spend",
    account: Math.floor(next() * accounts),
    amount: 1 + Math.floor(next() * amountMax),
  })
}
