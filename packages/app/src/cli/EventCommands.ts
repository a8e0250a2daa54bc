import { EventsRequest, Ledger, type LedgerEvent } from "@tally/domain"
import { Command, Flag } from "effect/cli"
import { json, memory } from "./CommandFlags.ts"
import { present, run, validate } from "./CommandRun.ts"
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
      default:
        return `request ${event.data.request.requestId}: ${event.data.request.amount} credits`
    }
  })()
  return [`#${event.id}`, event.createdAt, event.type, event.accountId, what].join("  ")
}

export const events = Command.make(
  "events",
  {
    after: Flag.Int("after").pipe(
      Flag.withDescription("Read after this event id (the last one you read)"),
      Flag.optional,
    ),
    limit: Flag.Int("limit").pipe(Flag.withDescription("Events per page"), Flag.optional),
    wait: Flag.Int("wait").pipe(
      Flag.withDescription("Seconds to wait for an event when there is none yet"),
      Flag.optional,
    ),
    memory,
    json,
  },
  (flags) =>
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
    ),
).pipe(Command.withDescription("Read the event feed, oldest first"))
