import type * as Effect from "effect/Effect"
import type { Ledger } from "../Ledger.ts"
import type { ContractClock } from "./ContractClock.ts"

/** What each part of the contract suite runs with: the ledger under test, its clock, fresh accounts. */
export interface ContractContext {
  readonly run: <A, E>(body: (ledger: Ledger["Service"]) => Effect.Effect<A, E>) => Promise<A>
  /** Runs `body` and resolves with the error it fails with (rejects if it succeeds). */
  readonly fails: <A, E>(body: (ledger: Ledger["Service"]) => Effect.Effect<A, E>) => Promise<E>
  /** An account id no other test uses, so the store may be shared. */
  readonly newAccount: () => string
  readonly clock: ContractClock
}
