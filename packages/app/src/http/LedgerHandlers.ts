import { type BalanceWriteResult, Ledger, TallyApi } from "@tally/domain"
import * as Effect from "effect/Effect"
import { HttpApiBuilder } from "effect/http-api"
import * as WriteAnswer from "../WriteAnswer.ts"

/** A posted write as its response; a refusal as its error, marked when it replays an earlier one. */
const answer = (result: BalanceWriteResult) => {
  if (result._tag === "Posted") return Effect.succeed(WriteAnswer.responseOf(result))
  return (result.replayed ? WriteAnswer.markReplayed : Effect.void).pipe(Effect.andThen(Effect.fail(result.error)))
}

/** `/v1/accounts`, and an account's top-ups, spends, balance, entries, totals and settings, over the `Ledger`. */
export const LedgerHandlers = HttpApiBuilder.group(
  TallyApi,
  "ledger",
  Effect.fn(function* (handlers) {
    const ledger = yield* Ledger
    return handlers.handleAll({
      topUp: ({ params, headers, payload }) =>
        ledger
          .writeDecoded(WriteAnswer.requestOf("TopUp", params.accountId, payload, headers))
          .pipe(Effect.flatMap(answer)),
      spend: ({ params, headers, payload }) =>
        ledger
          .writeDecoded(WriteAnswer.requestOf("Spend", params.accountId, payload, headers))
          .pipe(Effect.flatMap(answer)),
      accounts: ({ query }) => ledger.accounts(query),
      balance: ({ params }) =>
        ledger
          .writtenBalances(params.accountId)
          .pipe(Effect.map((balances) => ({ accountId: params.accountId, ...balances }))),
      entries: ({ params, query }) => ledger.entries({ accountId: params.accountId, ...query }),
      totals: ({ params, query }) =>
        ledger
          .totals({ accountId: params.accountId, ...query })
          .pipe(Effect.map((totals) => ({ accountId: params.accountId, totals }))),
      settings: ({ params }) =>
        ledger
          .settings(params.accountId)
          .pipe(Effect.map((settings) => ({ accountId: params.accountId, ...settings }))),
      updateSettings: ({ params, payload }) =>
        ledger
          .updateSettings({ accountId: params.accountId, ...payload })
          .pipe(Effect.map((settings) => ({ accountId: params.accountId, ...settings }))),
      audit: () => ledger.audit,
    })
  }),
)
