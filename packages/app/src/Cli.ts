import * as Command from "effect/cli/Command"
import {
  autoTopUp,
  autoTopUpRequest,
  completeAutoTopUp,
  expireAutoTopUps,
  failAutoTopUp,
} from "./cli/AutoTopUpCommands.ts"
import { balance, settings, spend, topUp } from "./cli/BalanceCommands.ts"
import { adjust, refund } from "./cli/CorrectionCommands.ts"
import { events } from "./cli/EventCommands.ts"
import { expireGrants, grants } from "./cli/GrantCommands.ts"
import { entries, exportEntries, search, totals } from "./cli/HistoryCommands.ts"
import { capture, expireHolds, getHold, hold, release } from "./cli/HoldCommands.ts"
import {
  activateCredit,
  expirePendingCredits,
  pendingCredit,
  pendingCredits,
  voidCredit,
} from "./cli/PendingCreditCommands.ts"
import { refill } from "./cli/RefillCommands.ts"
import { runs } from "./cli/RunsCommands.ts"
import { audit, migrate, serve } from "./cli/ServiceCommands.ts"
import { memberLimits } from "./cli/WalletCommands.ts"
import { webhooks } from "./cli/WebhookCommands.ts"

/**
 * The `tally` command line. Every command selects its storage like the service (`--memory`,
 * DATABASE_URL, else the embedded PostgreSQL in TALLY_DATA_DIR), prints for people by default and
 * JSON with `--json`, and exits 0 on success, 2 on bad input, 3 on a rule rejection (see ExitCode).
 */

export { serving } from "./cli/ServiceCommands.ts"
// The commands were exported from here before each feature's moved to `cli/`; they still are.
export {
  adjust,
  audit,
  autoTopUp,
  autoTopUpRequest,
  balance,
  capture,
  completeAutoTopUp,
  entries,
  events,
  expireAutoTopUps,
  expireHolds,
  exportEntries,
  failAutoTopUp,
  getHold,
  hold,
  memberLimits,
  migrate,
  refill,
  refund,
  release,
  runs,
  search,
  serve,
  settings,
  spend,
  topUp,
  totals,
  webhooks,
}

export const tally = Command.make("tally").pipe(
  Command.withDescription(
    "Tally, a credit ledger. Exit codes: 0 success, 1 failure (storage unavailable, unexpected), 2 bad input, 3 rule rejection, 4 audit found violations.",
  ),
  Command.withSubcommands([
    serve,
    topUp,
    spend,
    balance,
    entries,
    hold,
    capture,
    release,
    getHold,
    expireHolds,
    refund,
    adjust,
    totals,
    runs,
    search,
    exportEntries,
    settings,
    audit,
    migrate,
    events,
    webhooks,
    autoTopUp,
    autoTopUpRequest,
    completeAutoTopUp,
    failAutoTopUp,
    expireAutoTopUps,
    refill,
    grants,
    expireGrants,
    pendingCredit,
    activateCredit,
    voidCredit,
    pendingCredits,
    expirePendingCredits,
    memberLimits,
  ]),
)
