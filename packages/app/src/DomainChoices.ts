import type { EntryKind, ExportFormat, TopUpKind } from "@tally/domain/core"
import { exactly } from "./ExactList.ts"

/*
 * The domain's lists of choices, restated for the command line and the console: importing
 * `@tally/domain` for them loaded more modules than everything else `tally --version` needs, and would
 * bundle the domain's schemas into the console. The types hold each list to the domain's members, and
 * test/cli/start.test.ts to their order.
 */
export const entryKinds = exactly<EntryKind>()([
  "top-up",
  "grant",
  "reversal",
  "usage",
  "refund",
  "adjustment",
  "expiry",
])
export const topUpKinds = exactly<TopUpKind>()(["top-up", "grant", "reversal"])
export const exportFormats = exactly<ExportFormat>()(["csv", "ndjson"])
