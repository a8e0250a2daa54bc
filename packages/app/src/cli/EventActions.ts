import { EventsRequest, Ledger, type LedgerEvent } from "@tally/domain/core"
import type { Command } from "effect/cli"
import { present, run, validate } from "./CommandRun.ts"
import type { eventsFlags } from "./EventCommands.ts"
import { signed } from "./WriteOutput.ts"

const describeEvent = (event: LedgerEvent) => {
  const what = (() => {
    switch (event.type) {
      case "balance.low":
        return `available ${event.data.availableAfter} fell below ${event.data.threshold}`
      case "auto_top_up.completed":
        return `request ${event.data.request.requestId}: +${event.data.request.amount}, balance ${event.data.balanceAfter}`
      case "auto_top_up.disabled":
        return `after ${event.data.consecutiveFailures} failures in a row`
      case "refill.applied":
        return `${event.data.decision} ${signed(event.data.amount)}, balance ${event.data.balanceAfter}`
      case "grant.expired":
        return `grant ${event.data.grant.grantId}: -${event.data.amount} (entry ${event.data.entrySequence})`
      case "credit.activated":
        return `pending credit ${event.data.pendingCredit.pendingCreditId}: ${event.data.decision} ${signed(event.data.amount)}, balance ${event.data.balanceAfter}`
      case "credit.pending":
      case "credit.voided":
      case "credit.expired":
        return `pending credit ${event.data.pendingCredit.pendingCreditId}: ${event.data.pendingCredit.amount} credits`
      case "grant.expiring":
        return `grant ${event.data.grant.grantId}: ${event.data.amount} expire at ${event.data.expiresAt}`
      default:
        return `request ${event.data.request.requestId}: ${event.data.request.amount} credits`
    }
  })()
  return [`#${event.id}`, event.createdAt, event.type, event.accountId, what].join("  ")
}

export const events = (flags: Command.Command.Config.Infer<typeof eventsFlags>) =>
  run(
    flags,
    validate(EventsRequest)({
      ...present("after", flags.after),
      ...present("limit", flags.limit),
      ...present("wait", flags.wait),
    }),
    (request) => Ledger.use((ledger) => ledger.events(request)),
    (page) =>
      [
        ...(page.events.length === 0 ? ["no new events"] : page.events.map(describeEvent)),
        `next: --after ${page.next}`,
      ].join("\n"),
  )
