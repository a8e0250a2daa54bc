import { Ledger } from "@tally/domain"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Sweep from "./Sweep.ts"

/**
 * The service's expiry of auto top-up requests: every `intervalMs` it expires the open requests past
 * their deadline (`Ledger.expireAutoTopUps`), each with `auto_top_up.expired`.
 */

/**
 * A request past its deadline already refuses completion and failure; the sweep only writes the
 * expiry down (its event, and room for the next request). Its deadline is a day, so seconds of
 * lateness do not matter, and a pass costs one indexed read.
 */
export const intervalMs = 5_000

export const layer = Layer.unwrap(
  Effect.map(Ledger, (ledger) =>
    Sweep.layer({
      name: "expiring auto top-up requests",
      pass: ledger.expireAutoTopUps,
      intervalMs,
      report: ({ expired }) =>
        expired === 0
          ? Effect.void
          : Effect.logInfo("expired auto top-up requests").pipe(Effect.annotateLogs({ expired })),
    }),
  ),
)
