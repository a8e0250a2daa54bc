import { type HoldPosting, Ledger, TallyApi } from "@tally/domain"
import * as Effect from "effect/Effect"
import { HttpApiBuilder } from "effect/http-api"
import * as WriteAnswer from "../WriteAnswer.ts"

const holdWritten = ({ hold, entry, balances, replayed }: HoldPosting) => ({ hold, entry, ...balances, replayed })

/** An account's holds (reserve, capture, release, read) and `/v1/holds/expire`, over the `Ledger`. */
export const HoldsHandlers = HttpApiBuilder.group(
  TallyApi,
  "holds",
  Effect.fn(function* (handlers) {
    const ledger = yield* Ledger
    return handlers.handleAll({
      hold: ({ params, headers, payload }) =>
        ledger
          .hold({ accountId: params.accountId, ...payload, idempotencyKey: headers["idempotency-key"] })
          .pipe(Effect.map(holdWritten), WriteAnswer.markReplayedRefusal),
      getHold: ({ params }) => ledger.getHold(params),
      openHolds: ({ params }) => ledger.openHolds(params.accountId).pipe(Effect.map((holds) => ({ holds }))),
      capture: ({ params, headers, payload }) =>
        ledger
          .capture({ ...params, ...payload, idempotencyKey: headers["idempotency-key"] })
          .pipe(Effect.map(holdWritten), WriteAnswer.markReplayedRefusal),
      release: ({ params, headers }) =>
        ledger
          .release({ ...params, idempotencyKey: headers["idempotency-key"] })
          .pipe(Effect.map(holdWritten), WriteAnswer.markReplayedRefusal),
      expireHolds: () => ledger.expireHolds,
    })
  }),
)
