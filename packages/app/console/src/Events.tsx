import { useEffect, useState } from "preact/hooks"
import { exactly } from "../../src/ExactList.ts"
import { api, type EventType, type LedgerEvent } from "./api.ts"
import { credits, signed, visibleText } from "./format.ts"
import { ColumnHeads, Empty, Failure, TableWrap, Time } from "./ui.tsx"

/** Events the page keeps (the newest that match its filters); older ones stay in the feed, readable through the API. */
const keptMax = 500
/** A long-poll waits this long for an event (the API's most is 20 s). */
const waitSeconds = 20
/** After a failed read, the next one comes this much later. */
const retryMs = 3_000

/** The domain's event types, restated: importing them as a value would bundle the domain's schemas. */
const eventTypes = exactly<EventType>()([
  "balance.low",
  "auto_top_up.requested",
  "auto_top_up.completed",
  "auto_top_up.failed",
  "auto_top_up.expired",
  "auto_top_up.disabled",
  "refill.applied",
  "grant.expired",
  "credit.pending",
  "credit.activated",
  "credit.voided",
  "credit.expired",
  "grant.expiring",
])

const describe = (event: LedgerEvent) => {
  switch (event.type) {
    case "balance.low":
      return `available ${credits(event.data.availableBefore)} → ${credits(event.data.availableAfter)}, below ${credits(event.data.threshold)}`
    case "auto_top_up.completed":
      return `request #${event.data.request.requestId}: ${signed(event.data.request.amount)}, balance ${credits(event.data.balanceAfter)}`
    case "auto_top_up.failed":
      return `request #${event.data.request.requestId} failed (${visibleText(event.data.request.failureReason ?? "")}); ${event.data.consecutiveFailures} in a row`
    case "auto_top_up.disabled":
      return `switched off after ${event.data.consecutiveFailures} failures in a row`
    case "refill.applied":
      return `${event.data.decision} ${signed(event.data.amount)}, balance ${credits(event.data.balanceAfter)}`
    case "grant.expired":
      return `grant #${event.data.grant.grantId}: ${signed(-event.data.amount)} expired (entry ${event.data.entrySequence})`
    case "credit.activated":
      return `pending credit #${event.data.pendingCredit.pendingCreditId}: ${event.data.decision} ${signed(event.data.amount)}, balance ${credits(event.data.balanceAfter)}`
    case "credit.pending":
    case "credit.voided":
    case "credit.expired":
      return `pending credit #${event.data.pendingCredit.pendingCreditId}: ${credits(event.data.pendingCredit.amount)} credits`
    case "grant.expiring":
      return (
        <>
          grant #{event.data.grant.grantId}: {credits(event.data.amount)} expire at <Time iso={event.data.expiresAt} />
        </>
      )
    default:
      return `request #${event.data.request.requestId}: ${credits(event.data.request.amount)} credits`
  }
}

/** The feed, read to its end and then long-polled: each new event shows as it is committed. */
export const Events = ({ account, type }: { account: string; type: string }) => {
  const [events, setEvents] = useState<ReadonlyArray<LedgerEvent>>([])
  const [caughtUp, setCaughtUp] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const [accountText, setAccountText] = useState(account)
  useEffect(() => {
    document.title = "Events · Tally console"
    // The feed has no filters: the whole feed is read, and the filters chosen before keeping the newest.
    const matches = (event: LedgerEvent) =>
      (account === "" || event.accountId === account) && (type === "" || event.type === type)
    setEvents([])
    setCaughtUp(false)
    setAccountText(account)
    const abort = new AbortController()
    let after = 0
    let atEnd = false
    const loop = async () => {
      while (!abort.signal.aborted) {
        try {
          // Catching up reads full pages without waiting; at the end of the feed, each read waits.
          const page = await api.events(after, atEnd ? waitSeconds : 0, abort.signal)
          after = page.next
          const matching = page.events.filter(matches)
          if (matching.length > 0) setEvents((previous) => [...matching.toReversed(), ...previous].slice(0, keptMax))
          if (page.events.length < 500) {
            atEnd = true
            setCaughtUp(true)
          }
          setError(null)
        } catch (failure) {
          if (abort.signal.aborted) return
          setError(failure)
          await new Promise((resolve) => setTimeout(resolve, retryMs))
        }
      }
    }
    void loop()
    return () => abort.abort()
  }, [account, type])
  const go = (next: { account?: string; type?: string }) => {
    const params = new URLSearchParams({ account: next.account ?? account, type: next.type ?? type })
    for (const [name, value] of [...params]) if (value === "") params.delete(name)
    location.hash = `#/events${params.size === 0 ? "" : `?${params}`}`
  }
  return (
    <div class="page">
      <h1>Events</h1>
      <form
        class="filters"
        aria-label="Event filters"
        onSubmit={(event) => {
          event.preventDefault()
          go({ account: accountText.trim() })
        }}
      >
        <label>
          Account
          <input value={accountText} onInput={(event) => setAccountText(event.currentTarget.value)} />
        </label>
        <label>
          Type
          <select value={type} onChange={(event) => go({ type: event.currentTarget.value })}>
            <option value="">Any type</option>
            {eventTypes.map((name) => (
              <option value={name}>{name}</option>
            ))}
          </select>
        </label>
        <div class="buttons">
          <button type="submit">Filter</button>
        </div>
      </form>
      <p role="status" class="hint">
        {error !== null
          ? "Not live: the feed cannot be read."
          : caughtUp
            ? "Live: new events appear as they happen."
            : "Reading the feed…"}
      </p>
      {error === null ? null : <Failure error={error} action="Retrying in a few seconds." />}
      {events.length === 0 ? (
        <Empty>
          {caughtUp
            ? "No events match yet. Events come from auto top-up, low balances, refills, pending credits and grants that expire; they appear here live."
            : "Loading…"}
        </Empty>
      ) : (
        <TableWrap label="Events">
          <table>
            <ColumnHeads columns={["#", "Time", "Type", "Account", "What"]} />
            <tbody aria-live="polite">
              {events.map((event) => (
                <tr key={event.id}>
                  <td>{event.id}</td>
                  <td>
                    <Time iso={event.createdAt} />
                  </td>
                  <td>{event.type}</td>
                  <td>
                    <a href={`#/accounts/${encodeURIComponent(event.accountId)}`}>{event.accountId}</a>
                  </td>
                  <td>{describe(event)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
    </div>
  )
}
