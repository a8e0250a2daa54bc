import { useEffect, useRef, useState } from "preact/hooks"
import {
  AdjustAction,
  CaptureAction,
  CompleteRequestAction,
  FailRequestAction,
  integerOf,
  NothingToRefund,
  RefundAction,
  ReleaseAction,
  TopUpAction,
} from "./Actions.tsx"
import {
  ApiError,
  type AutoTopUpRequest,
  type AutoTopUpStatus,
  api,
  type Balances,
  type Entry,
  type EntryFilter,
  entryKinds,
  type Hold,
  type RefillStatus,
} from "./api.ts"
import { BalanceChart } from "./BalanceChart.tsx"
import { credits, instantOf, localInputOf } from "./format.ts"
import { useLoad } from "./load.ts"
import { ColumnHeads, Credits, Empty, Failure, ReadFailure, TableWrap, Time, UserText } from "./ui.tsx"

/** Entries a page of the table shows. */
const pageSize = 50
/** The chart reads at most this many entries of its range, newest first, a page of 500 at a time. */
const chartEntriesMax = 2_000
const chartRanges = [
  { id: "24h", label: "Last 24 hours", ms: 86_400_000 },
  { id: "7d", label: "Last 7 days", ms: 7 * 86_400_000 },
  { id: "30d", label: "Last 30 days", ms: 30 * 86_400_000 },
  { id: "all", label: "All time", ms: null },
] as const
type ChartRange = (typeof chartRanges)[number]
const chartRangeShown = chartRanges[1]

/**
 * What the account's page shows, kept in its address (`#/accounts/<id>?kind=usage&page=<cursor>&range=30d`),
 * so a reload, Back and Forward and a shared link show the same: the entries' filters, the cursors of
 * the pages read to reach this one (`page`, one a page, oldest first: "Newer" goes back without reading
 * from the start), the chart's range.
 */
interface View {
  readonly filter: EntryFilter
  readonly cursors: ReadonlyArray<string>
  readonly range: ChartRange
}

/** An instant from the address, or undefined when it is not one. */
const instantParam = (text: string | null) =>
  text !== null && !Number.isNaN(Date.parse(text)) ? new Date(text).toISOString() : undefined

const viewOf = (params: URLSearchParams): View => {
  const kind = entryKinds.find((known) => known === params.get("kind"))
  const reference = params.get("reference")?.trim()
  return {
    filter: {
      kind,
      from: instantParam(params.get("from")),
      to: instantParam(params.get("to")),
      reference: reference === "" ? undefined : reference,
    },
    cursors: params.getAll("page").filter((cursor) => cursor !== ""),
    range: chartRanges.find((range) => range.id === params.get("range")) ?? chartRangeShown,
  }
}

const hashOf = (accountId: string, view: View) => {
  const params = new URLSearchParams()
  for (const name of ["kind", "from", "to", "reference"] as const) {
    const value = view.filter[name]
    if (value !== undefined) params.set(name, value)
  }
  for (const cursor of view.cursors) params.append("page", cursor)
  if (view.range !== chartRangeShown) params.set("range", view.range.id)
  return `#/accounts/${encodeURIComponent(accountId)}${params.size === 0 ? "" : `?${params}`}`
}
/** The API lists an account's open holds up to this many, the oldest first (`Limits.openHoldsListedMax`). */
const openHoldsListedMax = 200
/** Refunds of an entry read, to say what is left to refund of it, at most this many pages. */
const refundPagesMax = 10

type Dialog =
  | { kind: "top-up" }
  | { kind: "adjust" }
  | { kind: "refund"; entry: Entry; refundable: number | undefined }
  | { kind: "release"; hold: Hold }
  | { kind: "capture"; hold: Hold }
  | { kind: "complete"; request: AutoTopUpRequest }
  | { kind: "fail"; request: AutoTopUpRequest }

const autoTopUpReference = /^auto-top-up:(\d+)$/

const EntryLinks = ({ entry, onHold }: { entry: Entry; onHold: (holdId: number) => void }) => {
  const links = []
  if (entry.holdId !== null)
    links.push(
      <button type="button" class="link" onClick={() => onHold(entry.holdId!)}>
        captures hold #{entry.holdId}
      </button>,
    )
  if (entry.refundOf !== null) links.push(<span>refunds entry #{entry.refundOf}</span>)
  const request = entry.reference === null ? null : autoTopUpReference.exec(entry.reference)
  if (request !== null) links.push(<span>completes auto top-up request #{request[1]}</span>)
  if (entry.reason !== null)
    links.push(
      <span>
        reason: <UserText text={entry.reason} />
      </span>,
    )
  if (entry.actor !== null)
    links.push(
      <span>
        by <UserText text={entry.actor} />
      </span>,
    )
  if (entry.member !== undefined)
    links.push(
      <span>
        member <UserText text={entry.member} />
      </span>,
    )
  if (entry.overdrawn) links.push(<span class="negative">overdrawn</span>)
  return <span class="links">{links}</span>
}

/**
 * What is left to refund of an entry: its amount less the refunds linked to it; undefined when the
 * account has more refunds than the pages read (the service then says what is left, if asked too much).
 */
const refundableOf = async (accountId: string, entry: Entry) => {
  let refunded = 0
  let cursor: string | undefined
  for (let page = 0; page < refundPagesMax; page++) {
    const { entries, nextCursor } = await api.entries(accountId, { kind: "refund", limit: 500, cursor })
    for (const refund of entries) if (refund.refundOf === entry.sequence) refunded -= refund.amount
    if (nextCursor === null) return Math.max(0, entry.amount - refunded)
    cursor = nextCursor
  }
  return undefined
}

const Summary = ({ balances }: { balances: Balances }) => (
  <ul class="balances" aria-label="Credits">
    {(
      [
        ["Balance", balances.balance],
        ["Held", balances.held],
        ["Available", balances.available],
      ] as const
    ).map(([name, value]) => (
      <li key={name}>
        <span class="figure-name">{name}</span>
        <span class="figure">
          <Credits value={value} />
        </span>
      </li>
    ))}
  </ul>
)

const Chart = ({
  accountId,
  version,
  range: chosen,
  onRange,
}: {
  accountId: string
  version: number
  range: ChartRange
  onRange: (range: ChartRange) => void
}) => {
  const [width, setWidth] = useState(() => Math.min(900, document.documentElement.clientWidth - 48))
  useEffect(() => {
    const resize = () => setWidth(Math.min(900, document.documentElement.clientWidth - 48))
    window.addEventListener("resize", resize)
    return () => window.removeEventListener("resize", resize)
  }, [])
  // What the chart shows, and of which account and range: after an action only the newer entries are read.
  const shown = useRef<{ of: string; entries: ReadonlyArray<Entry>; complete: boolean } | null>(null)
  const chart = useLoad(
    async () => {
      const of = JSON.stringify([accountId, chosen.id])
      const before = shown.current?.of === of ? shown.current : null
      const newest = before?.entries[0]
      if (before !== null && newest !== undefined) {
        // An action adds entries after the newest shown: those are read, not the range's 2,000 again.
        // (An entry stamped before the newest, with a later number, shows once the range is read again.)
        const page = await api.entries(accountId, { from: newest.createdAt, limit: 500 })
        if (page.nextCursor === null) {
          const added = page.entries.filter((entry) => entry.sequence > newest.sequence)
          const entries = [...added, ...before.entries].slice(0, chartEntriesMax)
          shown.current = {
            of,
            entries,
            complete: before.complete && entries.length === before.entries.length + added.length,
          }
          return shown.current
        }
      }
      const from = chosen.ms === null ? undefined : new Date(Date.now() - chosen.ms).toISOString()
      const all: Array<Entry> = []
      let cursor: string | undefined
      let complete = false
      while (all.length < chartEntriesMax) {
        const page = await api.entries(accountId, { from, limit: 500, cursor })
        all.push(...page.entries)
        if (page.nextCursor === null) {
          complete = true
          break
        }
        cursor = page.nextCursor
      }
      shown.current = { of, entries: all, complete }
      return shown.current
    },
    [accountId, chosen, version],
    [accountId, chosen],
  )
  return (
    <section aria-labelledby="chart-title">
      <div class="section-head">
        <h2 id="chart-title">Balance over time</h2>
        <label class="inline">
          Range
          <select
            value={chosen.id}
            onChange={(event) => onRange(chartRanges.find((range) => range.id === event.currentTarget.value)!)}
          >
            {chartRanges.map((option) => (
              <option value={option.id}>{option.label}</option>
            ))}
          </select>
        </label>
      </div>
      {chart.error !== undefined ? (
        <ReadFailure loaded={chart} />
      ) : chart.value === undefined ? (
        <p aria-busy="true">Loading the chart…</p>
      ) : chart.value.entries.length === 0 ? (
        <Empty>No entries in this range: choose a longer range, or top up the account.</Empty>
      ) : (
        <>
          <BalanceChart entries={chart.value.entries} width={width} />
          {chart.value.complete ? null : (
            <p class="hint">The chart shows the newest {credits(chartEntriesMax)} entries of the range.</p>
          )}
        </>
      )}
    </section>
  )
}

const emptyFilter = { kind: "", from: "", to: "", reference: "" }

/** The filter form's fields for a filter (its instants in the viewer's zone). */
const formOf = (filter: EntryFilter): typeof emptyFilter => ({
  kind: filter.kind ?? "",
  from: filter.from === undefined ? "" : localInputOf(filter.from),
  to: filter.to === undefined ? "" : localInputOf(filter.to),
  reference: filter.reference ?? "",
})

const filterOf = (form: typeof emptyFilter): EntryFilter => ({
  kind: form.kind === "" ? undefined : (form.kind as EntryFilter["kind"]),
  from: instantOf(form.from),
  to: instantOf(form.to),
  reference: form.reference.trim() === "" ? undefined : form.reference.trim(),
})

const Entries = ({
  accountId,
  version,
  filter,
  cursors,
  onPage,
  onRefund,
  onHold,
}: {
  accountId: string
  version: number
  filter: EntryFilter
  /** The cursors of the pages read to reach this one, oldest first; none on the first page. */
  cursors: ReadonlyArray<string>
  onPage: (page: { filter: EntryFilter; cursors: ReadonlyArray<string> }) => void
  onRefund: (entry: Entry) => void
  onHold: (holdId: number) => void
}) => {
  const [form, setForm] = useState(() => formOf(filter))
  const filterKey = JSON.stringify(filter)
  // Back, Forward or a link may bring another filter: the form shows the one applied.
  useEffect(() => setForm(formOf(filter)), [filterKey])
  const cursor = cursors.at(-1)
  const page = useLoad(
    () => api.entries(accountId, { ...filter, limit: pageSize, cursor }),
    [accountId, filterKey, cursor, version],
    [accountId, filterKey, cursor],
  )
  const totals = useLoad(
    () => api.totals(accountId, { from: filter.from, to: filter.to, reference: filter.reference }),
    [accountId, filterKey, version],
    [accountId, filterKey],
  )
  const field = (name: keyof typeof emptyFilter) => (event: Event) =>
    setForm({ ...form, [name]: (event.currentTarget as HTMLInputElement).value })
  const first = cursors.length * pageSize + 1
  const older = page.value?.nextCursor ?? null
  return (
    <>
      <section aria-labelledby="entries-title">
        <h2 id="entries-title">Entries</h2>
        <form
          class="filters"
          aria-label="Entry filters"
          onSubmit={(event) => {
            event.preventDefault()
            onPage({ filter: filterOf(form), cursors: [] })
          }}
        >
          <label>
            Kind
            <select value={form.kind} onChange={field("kind")}>
              <option value="">Any kind</option>
              {entryKinds.map((kind) => (
                <option value={kind}>{kind}</option>
              ))}
            </select>
          </label>
          <label>
            From
            <input type="datetime-local" step="1" value={form.from} onInput={field("from")} />
          </label>
          <label>
            To
            <input type="datetime-local" step="1" value={form.to} onInput={field("to")} />
          </label>
          <label>
            Reference
            <input value={form.reference} onInput={field("reference")} />
          </label>
          <div class="buttons">
            <button type="submit">Apply filters</button>
            <button
              type="button"
              class="secondary"
              onClick={() => {
                setForm(emptyFilter)
                onPage({ filter: {}, cursors: [] })
              }}
            >
              Clear
            </button>
          </div>
        </form>
        {page.error !== undefined ? (
          <ReadFailure loaded={page} />
        ) : page.value === undefined ? (
          <p aria-busy="true">Loading entries…</p>
        ) : page.value.entries.length === 0 ? (
          <Empty>
            {cursors.length > 0
              ? "No more entries."
              : filter.from !== undefined && filter.to !== undefined && filter.from >= filter.to
                ? "No entries: From is not before To (the range takes From and leaves out To)."
                : "No entries match: clear the filters, or widen the time range."}
          </Empty>
        ) : (
          <TableWrap label="Entries">
            <table>
              <caption>
                Entries {credits(first)}–{credits(first + page.value.entries.length - 1)}, newest first
              </caption>
              <ColumnHeads
                columns={["#", "Time", "Kind", "Amount", "Balance after", "Reference", "Links"]}
                numeric={["Amount", "Balance after"]}
                actions
              />
              <tbody>
                {page.value.entries.map((entry) => (
                  <tr key={entry.sequence}>
                    <td>{entry.sequence}</td>
                    <td>
                      <Time iso={entry.createdAt} />
                    </td>
                    <td>
                      {entry.kind}
                      {entry.decision === "Clamped" ? ` (clamped from ${credits(entry.requested)})` : ""}
                    </td>
                    <td class="num">
                      <Credits value={entry.amount} sign />
                    </td>
                    <td class="num">
                      <Credits value={entry.balanceAfter} />
                    </td>
                    <td class="text">{entry.reference === null ? "" : <UserText text={entry.reference} />}</td>
                    <td>
                      <EntryLinks entry={entry} onHold={onHold} />
                    </td>
                    <td>
                      {entry.amount > 0 ? (
                        <button
                          type="button"
                          class="small"
                          aria-label={`Refund entry #${entry.sequence}`}
                          onClick={() => onRefund(entry)}
                        >
                          Refund
                        </button>
                      ) : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        )}
        <nav class="pager" aria-label="Entry pages">
          {/* aria-disabled, not disabled: a button disabled while its page loads would drop the keyboard's focus. */}
          <button
            type="button"
            aria-disabled={cursors.length === 0}
            onClick={() => {
              if (cursors.length > 0) onPage({ filter, cursors: cursors.slice(0, -1) })
            }}
          >
            Newer entries
          </button>
          <button
            type="button"
            aria-disabled={older === null}
            onClick={() => {
              if (older !== null) onPage({ filter, cursors: [...cursors, older] })
            }}
          >
            Older entries
          </button>
        </nav>
      </section>
      <section aria-labelledby="totals-title">
        <h2 id="totals-title">Totals per kind</h2>
        <p class="hint">Over the time range and reference of the filters.</p>
        {totals.error !== undefined ? (
          <ReadFailure loaded={totals} />
        ) : totals.value === undefined ? (
          <p aria-busy="true">Loading totals…</p>
        ) : totals.value.totals.length === 0 ? (
          <Empty>No entries in this range.</Empty>
        ) : (
          <TableWrap label="Totals per kind">
            <table>
              <ColumnHeads columns={["Kind", "Entries", "Amount"]} numeric={["Entries", "Amount"]} />
              <tbody>
                {totals.value.totals.map((total) => (
                  <tr key={total.kind}>
                    <th scope="row">{total.kind}</th>
                    <td class="num">
                      <Credits value={total.entries} />
                    </td>
                    <td class="num">
                      <Credits value={total.amount} sign />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        )}
      </section>
    </>
  )
}

/** Said when the API's list of open holds is full: how much of what is held the listed ones reserve. */
const OpenHoldsCapped = ({ holds, held }: { holds: ReadonlyArray<Hold>; held: number }) => {
  const listed = holds.reduce((sum, hold) => sum + (hold.amount - hold.captured), 0)
  return (
    <p class="hint" role="note">
      Showing the oldest {credits(holds.length)} open holds, the most the API lists; they reserve {credits(listed)} of
      the {credits(held)} held.
      {listed < held
        ? ` More open holds reserve the other ${credits(held - listed)}: look one up by its id below.`
        : " No other open hold reserves anything."}
    </p>
  )
}

const Holds = ({
  accountId,
  balances,
  requested,
  version,
  onAction,
}: {
  accountId: string
  balances: Balances
  requested: number | null
  version: number
  onAction: (dialog: Dialog) => void
}) => {
  const [holdId, setHoldId] = useState(requested === null ? "" : String(requested))
  const [looked, setLooked] = useState<number | null>(requested)
  const [mistyped, setMistyped] = useState(false)
  useEffect(() => {
    if (requested !== null) {
      setHoldId(String(requested))
      setLooked(requested)
    }
  }, [requested])
  const hold = useLoad(
    () => (looked === null ? Promise.resolve(null) : api.hold(accountId, looked)),
    [accountId, looked, version],
    [accountId, looked],
  )
  const open = useLoad(() => api.openHolds(accountId), [accountId, version], [accountId])
  return (
    <section aria-labelledby="holds-title">
      <h2 id="holds-title">Holds</h2>
      <p>
        Open holds reserve <Credits value={balances.held} /> credits of the balance.
      </p>
      {open.error !== undefined ? (
        <ReadFailure loaded={open} />
      ) : open.value === undefined ? (
        <p aria-busy="true">Loading open holds…</p>
      ) : open.value.holds.length === 0 ? (
        <Empty>No open hold.</Empty>
      ) : (
        <>
          {open.value.holds.length < openHoldsListedMax ? null : (
            <OpenHoldsCapped holds={open.value.holds} held={balances.held} />
          )}
          <TableWrap label="Open holds">
            <table>
              <ColumnHeads columns={["Hold", "Reserves", "Reference", "Expires"]} numeric={["Reserves"]} actions />
              <tbody>
                {open.value.holds.map((openHold) => (
                  <tr key={openHold.holdId}>
                    <th scope="row">#{openHold.holdId}</th>
                    <td class="num">
                      <Credits value={openHold.amount - openHold.captured} />
                    </td>
                    <td class="text">{openHold.reference === null ? "" : <UserText text={openHold.reference} />}</td>
                    <td>
                      <Time iso={openHold.expiresAt} />
                    </td>
                    <td>
                      <button
                        type="button"
                        class="small"
                        aria-label={`Capture hold #${openHold.holdId}`}
                        onClick={() => onAction({ kind: "capture", hold: openHold })}
                      >
                        Capture
                      </button>{" "}
                      <button
                        type="button"
                        class="small secondary"
                        aria-label={`Release hold #${openHold.holdId}`}
                        onClick={() => onAction({ kind: "release", hold: openHold })}
                      >
                        Release
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        </>
      )}
      <h3>A hold by its id</h3>
      <form
        class="inline-form"
        onSubmit={(event) => {
          event.preventDefault()
          const id = integerOf(holdId)
          const valid = id !== undefined && id >= 1
          setMistyped(!valid)
          if (valid) setLooked(id)
        }}
      >
        <label>
          Hold id
          <input inputMode="numeric" value={holdId} onInput={(event) => setHoldId(event.currentTarget.value)} />
        </label>
        <button type="submit">Look up</button>
      </form>
      {mistyped ? (
        <p class="error" role="alert">
          A hold's id is a whole number from 1 (holds are numbered per account).
        </p>
      ) : null}
      {looked === null ? (
        <p class="hint">
          Any hold, open or not: enter its id (numbered per account from 1), or follow a capture's link.
        </p>
      ) : hold.error !== undefined ? (
        <ReadFailure loaded={hold} action="Check the hold's id." />
      ) : hold.value === undefined || hold.value === null ? (
        <p aria-busy="true">Loading hold…</p>
      ) : (
        <div class="card">
          <h3>Hold #{hold.value.holdId}</h3>
          <dl class="facts">
            <dt>Status</dt>
            <dd>{hold.value.status}</dd>
            <dt>Reserved</dt>
            <dd>
              <Credits value={hold.value.amount} />
            </dd>
            <dt>Captured</dt>
            <dd>
              <Credits value={hold.value.captured} />
            </dd>
            <dt>Reference</dt>
            <dd>{hold.value.reference === null ? "—" : <UserText text={hold.value.reference} />}</dd>
            <dt>Placed</dt>
            <dd>
              <Time iso={hold.value.createdAt} />
            </dd>
            <dt>Expires</dt>
            <dd>
              <Time iso={hold.value.expiresAt} />
            </dd>
          </dl>
          {hold.value.status === "open" ? (
            <div class="buttons">
              <button type="button" onClick={() => onAction({ kind: "capture", hold: hold.value! })}>
                Capture
              </button>
              <button type="button" class="secondary" onClick={() => onAction({ kind: "release", hold: hold.value! })}>
                Release
              </button>
            </div>
          ) : null}
        </div>
      )}
    </section>
  )
}

const AutoTopUp = ({
  accountId,
  version,
  onAction,
}: {
  accountId: string
  version: number
  onAction: (dialog: Dialog) => void
}) => {
  const status = useLoad(
    async () => {
      const settings: AutoTopUpStatus = await api.autoTopUp(accountId)
      const open =
        settings.openRequestId === null ? null : await api.autoTopUpRequest(accountId, settings.openRequestId)
      return { settings, open }
    },
    [accountId, version],
    [accountId],
  )
  if (status.error !== undefined) return <ReadFailure loaded={status} />
  if (status.value === undefined) return <p aria-busy="true">Loading auto top-up…</p>
  const { settings, open } = status.value
  return (
    <div>
      {settings.threshold === null ? (
        <Empty>Auto top-up is not set for this account (PUT /v1/accounts/{"{id}"}/auto-top-up sets it).</Empty>
      ) : (
        <dl class="facts">
          <dt>State</dt>
          <dd>{settings.enabled ? "on" : "off"}</dd>
          <dt>Below</dt>
          <dd>
            <Credits value={settings.threshold} />
          </dd>
          <dt>Request</dt>
          <dd>{settings.amount === null ? "—" : <Credits value={settings.amount} />}</dd>
          <dt>Ceiling</dt>
          <dd>{settings.ceiling === null ? "none" : <Credits value={settings.ceiling} />}</dd>
          <dt>Failures in a row</dt>
          <dd>{settings.consecutiveFailures}</dd>
        </dl>
      )}
      {open === null ? (
        <p>No open request.</p>
      ) : (
        <div class="card">
          <h3>Open request #{open.requestId}</h3>
          <p>
            Asks for <Credits value={open.amount} /> credits, opened <Time iso={open.openedAt} /> when available was{" "}
            <Credits value={open.availableAtOpen} />; expires <Time iso={open.expiresAt} />.
          </p>
          <div class="buttons">
            <button type="button" onClick={() => onAction({ kind: "complete", request: open })}>
              Complete request
            </button>
            <button type="button" class="secondary" onClick={() => onAction({ kind: "fail", request: open })}>
              Fail request
            </button>
          </div>
        </div>
      )}
    </div>
  )
}

const schedule = (refill: RefillStatus) => {
  const s = refill.schedule
  if (s === null) return "—"
  if (s.period === "weekly") return `weekly, day ${s.weekday}`
  if (s.period === "monthly") return `monthly, day ${s.dayOfMonth}`
  return s.period
}

const Refill = ({ accountId, version }: { accountId: string; version: number }) => {
  const refill = useLoad(() => api.refill(accountId), [accountId, version], [accountId])
  if (refill.error !== undefined) return <ReadFailure loaded={refill} />
  if (refill.value === undefined) return <p aria-busy="true">Loading refill…</p>
  const r = refill.value
  if (r.amount === null) return <Empty>No periodic refill is set for this account.</Empty>
  return (
    <dl class="facts">
      <dt>State</dt>
      <dd>{r.enabled ? "on" : "off"}</dd>
      <dt>Amount</dt>
      <dd>
        <Credits value={r.amount} />
      </dd>
      <dt>Up to</dt>
      <dd>{r.ceiling === null ? "—" : <Credits value={r.ceiling} />}</dd>
      <dt>Schedule</dt>
      <dd>{schedule(r)}</dd>
      <dt>Last period</dt>
      <dd>
        <Time iso={r.lastPeriodStart} />
      </dd>
      <dt>Next</dt>
      <dd>
        <Time iso={r.nextRefillAt} />
      </dd>
    </dl>
  )
}

export const Account = ({ accountId, params }: { accountId: string; params: URLSearchParams }) => {
  const view = viewOf(params)
  // Each change of view is a new history entry: Back returns to the page before, within the console.
  const show = (changes: Partial<View>) => {
    location.hash = hashOf(accountId, { ...view, ...changes })
  }
  // Bumped after every action, so every panel reads the ledger again.
  const [version, setVersion] = useState(0)
  const [dialog, setDialog] = useState<Dialog | null>(null)
  const [holdRequested, setHoldRequested] = useState<number | null>(null)
  const balances = useLoad(() => api.balance(accountId), [accountId, version], [accountId])
  const done = () => setVersion((v) => v + 1)
  const close = () => setDialog(null)
  // Why an action's dialog could not open (a refund's form reads the entry's refunds first).
  const [openFailure, setOpenFailure] = useState<unknown>(null)
  // An action's preview reads the figures it needs itself, when Review is pressed: opening reads nothing.
  const open = (next: Dialog) => {
    setOpenFailure(null)
    setDialog(next)
  }
  const refund = async (entry: Entry) => {
    try {
      open({ kind: "refund", entry, refundable: await refundableOf(accountId, entry) })
    } catch (failure) {
      setOpenFailure(failure)
    }
  }
  useEffect(() => {
    document.title = `${accountId} · Tally console`
  }, [accountId])
  if (balances.error !== undefined)
    return (
      <div class="page">
        <h1>Account {accountId}</h1>
        <ReadFailure
          loaded={balances}
          {...(balances.error instanceof ApiError && balances.error.tag === "AccountNotFound"
            ? { action: "Go back to Accounts and check the id." }
            : {})}
        />
      </div>
    )
  if (balances.value === undefined)
    return (
      <div class="page">
        <h1>Account {accountId}</h1>
        <p aria-busy="true">Loading…</p>
      </div>
    )
  const b = balances.value
  const props = { accountId, onClose: close, onDone: done }
  return (
    <div class="page">
      <p>
        <a href="#/">← Accounts</a>
      </p>
      <h1>Account {accountId}</h1>
      <Summary balances={b} />
      <div class="buttons">
        <button type="button" onClick={() => open({ kind: "top-up" })}>
          Top up
        </button>
        <button type="button" onClick={() => open({ kind: "adjust" })}>
          Adjust
        </button>
        <a class="button secondary" href={`#/events?account=${encodeURIComponent(accountId)}`}>
          Events of this account
        </a>
      </div>
      {openFailure === null ? null : (
        <Failure
          error={openFailure}
          action="A refund's form needs what was refunded of the entry already: try again."
        />
      )}
      <Chart accountId={accountId} version={version} range={view.range} onRange={(range) => show({ range })} />
      <Entries
        accountId={accountId}
        version={version}
        filter={view.filter}
        cursors={view.cursors}
        onPage={show}
        onRefund={refund}
        onHold={(holdId) => {
          setHoldRequested(holdId)
          document.getElementById("holds-title")?.scrollIntoView()
        }}
      />
      <div class="columns">
        <Holds accountId={accountId} balances={b} requested={holdRequested} version={version} onAction={open} />
        <section aria-labelledby="auto-title">
          <h2 id="auto-title">Auto top-up</h2>
          <AutoTopUp accountId={accountId} version={version} onAction={open} />
        </section>
        <section aria-labelledby="refill-title">
          <h2 id="refill-title">Refill</h2>
          <Refill accountId={accountId} version={version} />
        </section>
      </div>
      {dialog?.kind === "top-up" ? <TopUpAction {...props} /> : null}
      {dialog?.kind === "adjust" ? <AdjustAction {...props} /> : null}
      {dialog?.kind === "refund" ? (
        dialog.refundable === 0 ? (
          <NothingToRefund entry={dialog.entry} onClose={close} />
        ) : (
          <RefundAction {...props} entry={dialog.entry} refundable={dialog.refundable} />
        )
      ) : null}
      {dialog?.kind === "release" ? <ReleaseAction {...props} hold={dialog.hold} /> : null}
      {dialog?.kind === "capture" ? <CaptureAction {...props} hold={dialog.hold} /> : null}
      {dialog?.kind === "complete" ? <CompleteRequestAction {...props} request={dialog.request} /> : null}
      {dialog?.kind === "fail" ? <FailRequestAction {...props} request={dialog.request} /> : null}
    </div>
  )
}
