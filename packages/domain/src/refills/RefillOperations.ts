import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import { AccountId } from "../AccountId.ts"
import { type StoreError, validateRequest as validate } from "../LedgerError.ts"
import type { LedgerStore } from "../LedgerStore.ts"
import { ledgerWrites, type ReadError } from "../LedgerWrites.ts"
import { Limits } from "../Limits.ts"
import { ConfigureRefillRequest, type RefillRun, type RefillStatus, refillStatus } from "./RefillCommands.ts"
import * as RefillSteps from "./RefillSteps.ts"

export interface RefillOperations {
  /** An account's periodic refill settings and where they stand. */
  readonly refill: (accountId: string) => Effect.Effect<RefillStatus, ReadError>
  readonly configureRefill: (request: typeof ConfigureRefillRequest.Encoded) => Effect.Effect<RefillStatus, StoreError>
  /** Runs every refill that is due now, once per account and period; the service runs it on a schedule. */
  readonly runDueRefills: Effect.Effect<RefillRun, StoreError>
}

export const refillOperations = (store: LedgerStore["Service"]): RefillOperations => {
  const { sweep } = ledgerWrites(store)
  const validAccountId = validate(AccountId)
  return {
    refill: (accountId) =>
      validAccountId(accountId).pipe(
        Effect.flatMap((id) =>
          Effect.flatMap(store.account(id), (state) =>
            Effect.map(Clock.currentTimeMillis, (now) => refillStatus(id, state.refill, now)),
          ),
        ),
      ),
    configureRefill: (input) =>
      validate(ConfigureRefillRequest)(input).pipe(
        Effect.flatMap((request) =>
          Effect.flatMap(Clock.currentTimeMillis, (now) =>
            store.transact(request, RefillSteps.configure(request, now)),
          ),
        ),
      ),
    runDueRefills: sweep(
      (now) => store.dueRefills(now, Limits.sweepPageSizeMax),
      (accountId, now) => store.transact({ accountId }, RefillSteps.refill(accountId, now)),
      (outcome) => outcome._tag !== "NotDue",
      { size: Limits.sweepPageSizeMax, concurrency: Limits.sweepWritesConcurrentlyMax },
    ).pipe(
      Effect.map(
        (outcomes): RefillRun => ({
          refilled: outcomes.filter((o) => o._tag === "Refilled").length,
          atCeiling: outcomes.filter((o) => o._tag === "AtCeiling").length,
        }),
      ),
      Effect.withSpan("Ledger.runDueRefills"),
    ),
  }
}
