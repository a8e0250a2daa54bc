import { Ledger } from "@tally/domain"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as Sweep from "./Sweep.ts"

/**
 * The service's grant expiry: every `intervalMs` it expires what is due of every account's grants
 * (`Ledger.expireGrants`), each credit once, whichever process gets there first; then it warns of the
 * grants whose expiry comes within the lead time (`Ledger.warnExpiringGrants`), one `grant.expiring`
 * event per grant. Expiry goes first, so a grant already past its expiry leaves rather than being
 * warned of. `tally expire-grants` runs one expiry pass, for a cron when no service runs.
 */

/** A grant's credits leave the balance at most this long after its expiry. */
export const intervalMs = 1_000

const dayMs = 24 * 3_600_000

/** Three days: time to tell a user, and for them to spend the credits or buy more, before they lapse. */
export const expiringLeadMsDefault = 3 * dayMs

/** A monthly grant is warned of at most this long ahead; more would warn of it as soon as it is made. */
export const expiringLeadMsMax = 31 * dayMs

/** How long before its expiry a grant's `grant.expiring` event goes out. */
export const expiringLeadMs = Config.schema(
  Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: expiringLeadMsMax })),
  "TALLY_GRANT_EXPIRING_LEAD_MS",
).pipe(Config.withDefault(expiringLeadMsDefault))

export const layer = Layer.unwrap(
  Effect.gen(function* () {
    const ledger = yield* Ledger
    const leadMs = yield* expiringLeadMs
    return Sweep.layer({
      name: "expiring grants",
      pass: Effect.all({ expiry: ledger.expireGrants, warning: ledger.warnExpiringGrants(leadMs) }),
      intervalMs,
      report: ({ expiry, warning }) =>
        Effect.all([
          expiry.accounts === 0
            ? Effect.void
            : Effect.logInfo("expired grants").pipe(
                Effect.annotateLogs({ accounts: expiry.accounts, expired: expiry.expired }),
              ),
          warning.grants === 0
            ? Effect.void
            : Effect.logInfo("warned of expiring grants").pipe(
                Effect.annotateLogs({ accounts: warning.accounts, grants: warning.grants }),
              ),
        ]),
    })
  }),
)
