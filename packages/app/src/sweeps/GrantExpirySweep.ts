import { Ledger } from "@tally/domain"
import { Effect, Layer } from "effect"
import * as Sweep from "./Sweep.ts"

/**
 * The service's grant expiry: every `intervalMs` it expires what is due of every account's grants
 * (`Ledger.expireGrants`), each credit once, whichever process gets there first. `tally expire-grants`
 * runs one pass, for a cron when no service runs.
 */

/** A grant's credits leave the balance at most this long after its expiry. */
export const intervalMs = 1_000

export const layer = Layer.unwrap(
  Effect.map(Ledger, (ledger) =>
    Sweep.layer({
      name: "expiring grants",
      pass: ledger.expireGrants,
      intervalMs,
      report: ({ accounts, expired }) =>
        accounts === 0
          ? Effect.void
          : Effect.logInfo("expired grants").pipe(Effect.annotateLogs({ accounts, expired })),
    }),
  ),
)
