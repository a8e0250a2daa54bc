import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { type AuditOperations, auditOperations } from "./AuditOperations.ts"
import { type AutoTopUpOperations, autoTopUpOperations } from "./autoTopUp/AutoTopUpOperations.ts"
import { type BalanceOperations, balanceOperations } from "./BalanceOperations.ts"
import { type CorrectionOperations, correctionOperations } from "./corrections/CorrectionOperations.ts"
import { type EventOperations, eventOperations } from "./events/EventOperations.ts"
import { type GrantOperations, grantOperations } from "./grants/GrantOperations.ts"
import { type HistoryOperations, historyOperations } from "./history/HistoryOperations.ts"
import { type HoldOperations, holdOperations } from "./holds/HoldOperations.ts"
import { LedgerStore } from "./LedgerStore.ts"
import { type PendingCreditOperations, pendingCreditOperations } from "./pendingCredits/PendingCreditOperations.ts"
import { type RefillOperations, refillOperations } from "./refills/RefillOperations.ts"
import { type RunsOperations, runsOperations } from "./runs/RunsOperations.ts"
import { checkPortVersion } from "./StoragePort.ts"
import { type WalletOperations, walletOperations } from "./wallets/WalletOperations.ts"

/**
 * The ledger: validates requests, lets the pure core decide under the store's exclusive access to
 * the account, and reports the outcome as an entry, a hold or a typed error. Time comes from the
 * `Clock` service, so tests control it. It refuses a store written for another version of the storage
 * port (`StoragePortMismatch`). Each feature's operations live in its folder; this composes them.
 */
export class Ledger extends Context.Service<
  Ledger,
  BalanceOperations &
    HoldOperations &
    CorrectionOperations &
    HistoryOperations &
    AuditOperations &
    AutoTopUpOperations &
    RefillOperations &
    EventOperations &
    RunsOperations &
    GrantOperations &
    PendingCreditOperations &
    WalletOperations
>()("@tally/domain/Ledger") {
  static readonly make = Effect.gen(function* () {
    const store = yield* LedgerStore
    yield* checkPortVersion(store.portVersion)
    return Ledger.of({
      ...balanceOperations(store),
      ...holdOperations(store),
      ...correctionOperations(store),
      ...historyOperations(store),
      ...auditOperations(store),
      ...autoTopUpOperations(store),
      ...refillOperations(store),
      ...eventOperations(store),
      ...runsOperations(store),
      ...grantOperations(store),
      ...pendingCreditOperations(store),
      ...walletOperations(store),
    })
  })

  static readonly layer = Layer.effect(Ledger, Ledger.make)
}
