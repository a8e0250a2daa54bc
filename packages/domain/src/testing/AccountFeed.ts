import type { LedgerEvent } from "../events/LedgerEvent.ts"
import { Limits } from "../Limits.ts"
import type { ContractContext } from "./ContractContext.ts"

/** How long a test waits for the events it caused: a shared PostgreSQL shows them once older transactions end. */
const eventsDeadlineMs = 60_000

/** A page that does not move the feed on would be read again forever: the adapter's ids are wrong. */
export const movedOn = <Page extends { readonly events: ReadonlyArray<LedgerEvent>; readonly next: number }>(
  after: number,
  page: Page,
): Page => {
  if (page.events.length > 0 && page.next <= after) {
    throw new Error(
      `the feed after event ${after} answered ${page.events.length} events and next ${page.next}: ` +
        "event ids must be positive and increasing, and next the last event's id",
    )
  }
  return page
}

/**
 * The event feed as one test reads it: where the feed ends before the test writes, then the events
 * of its account after that point. The store may hold any number of other events.
 */
export const accountFeed = ({ run }: Pick<ContractContext, "run">) => {
  let known = 0

  /** The id of the newest event the feed serves now. */
  const end = async () => {
    while (true) {
      const page = movedOn(known, await run((l) => l.events({ after: known, limit: Limits.eventsPageSizeMax })))
      if (page.events.length === 0) return known
      known = page.next
    }
  }

  /**
   * The account's events after `start`, once at least `count` of them have arrived (waiting for them
   * as a consumer long-polls), read to the feed's end.
   */
  const eventsOf = async (accountId: string, start: number, count: number): Promise<ReadonlyArray<LedgerEvent>> => {
    const deadline = Date.now() + eventsDeadlineMs
    const seen: Array<LedgerEvent> = []
    let after = start
    while (true) {
      const mine = seen.filter((event) => event.accountId === accountId)
      const waitSeconds = mine.length >= count ? 0 : 1
      const page = movedOn(
        after,
        await run((l) => l.events({ after, limit: Limits.eventsPageSizeMax, wait: waitSeconds })),
      )
      seen.push(...page.events)
      after = page.next
      if (page.events.length === 0 && (mine.length >= count || Date.now() > deadline)) return mine
    }
  }

  return { end, eventsOf }
}
