import type { ComponentChildren } from "preact"
import { useEffect, useRef } from "preact/hooks"
import { ApiError } from "./api.ts"
import { credits, localTime, signed, utcTime, visibleText } from "./format.ts"
import type { Loaded } from "./load.ts"

/** A moment in the viewer's zone; hovering shows it in UTC. */
export const Time = ({ iso }: { iso: string | null }) =>
  iso === null ? (
    <span>—</span>
  ) : (
    <time dateTime={iso} title={utcTime(iso)}>
      {localTime(iso)}
    </time>
  )

export const Credits = ({ value, sign = false }: { value: number; sign?: boolean }) => (
  <span class={`num${sign && value < 0 ? " negative" : ""}`}>{sign ? signed(value) : credits(value)}</span>
)

/** What went wrong, as the API said it, and what to do about it (`children`: a control that does it). */
export const Failure = ({
  error,
  action,
  children,
}: {
  error: unknown
  action?: string | undefined
  children?: ComponentChildren
}) => {
  const text =
    error instanceof ApiError
      ? `${error.tag} (HTTP ${error.status}): ${error.message}`
      : `The service could not be reached (${String(error instanceof Error ? error.message : error)}). Check that Tally is running, then try again.`
  return (
    <div class="error" role="alert">
      <p>{/[.!?]$/.test(text) ? text : `${text}.`}</p>
      {action === undefined ? null : <p>{action}</p>}
      {children}
    </div>
  )
}

/**
 * A read that failed, with a way to read again. When the ledger may answer later (unavailable, no
 * answer) it is read again by itself and `action`, advice for a refusal, is not given.
 */
export const ReadFailure = ({ loaded, action }: { loaded: Omit<Loaded<unknown>, "value">; action?: string }) => (
  <Failure
    error={loaded.error}
    action={
      loaded.retrying !== true
        ? action
        : loaded.error instanceof ApiError && loaded.error.status === 503
          ? "The ledger is unavailable: trying again by itself every few seconds."
          : "No answer from the ledger: trying again by itself every few seconds."
    }
  >
    <button type="button" class="small secondary" onClick={loaded.retry}>
      Retry now
    </button>
  </Failure>
)

/**
 * Text someone else wrote (a reference, a reason, a URL): its bidi controls shown, not obeyed, and
 * isolated from the text around it (`<bdi>`); a long one wraps rather than widening the page.
 */
export const UserText = ({ text }: { text: string }) => <bdi class="user-text">{visibleText(text)}</bdi>

export const Empty = ({ children }: { children: ComponentChildren }) => <p class="empty">{children}</p>

/**
 * A modal dialog (the browser's own: focus stays inside, Escape closes it). While `closable` is false
 * (a write is in flight) Escape does nothing: closing then would leave the write's answer unseen.
 */
export const Dialog = ({
  title,
  onClose,
  closable = true,
  children,
}: {
  title: string
  onClose: () => void
  closable?: boolean
  children: ComponentChildren
}) => {
  const ref = useRef<HTMLDialogElement>(null)
  useEffect(() => {
    // The dialog is removed, not closed, so the browser does not give focus back to what opened it.
    const opener = document.activeElement
    const dialog = ref.current
    if (dialog !== null && !dialog.open) dialog.showModal()
    return () => {
      // Closed first: while a modal dialog is open the rest of the page is inert and cannot take focus.
      if (dialog?.open === true) dialog.close()
      if (opener instanceof HTMLElement && opener.isConnected) opener.focus()
    }
  }, [])
  useEffect(() => {
    if (closable) return
    // Escape's keydown is stopped, not only its cancel event: Chrome lets a second cancel in a row
    // through. On the window, since focus may be on no control of the dialog.
    const holdEscape = (event: KeyboardEvent) => {
      if (event.key === "Escape") event.preventDefault()
    }
    window.addEventListener("keydown", holdEscape, true)
    return () => window.removeEventListener("keydown", holdEscape, true)
  }, [closable])
  return (
    <dialog
      ref={ref}
      aria-labelledby="dialog-title"
      onClose={onClose}
      onCancel={(event) => {
        if (!closable) event.preventDefault()
      }}
    >
      <h2 id="dialog-title">{title}</h2>
      {children}
    </dialog>
  )
}

/** A horizontally scrollable table region, so narrow screens scroll it rather than the page. */
export const TableWrap = ({ label, children }: { label: string; children: ComponentChildren }) => (
  // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard.
  <section class="table-wrap" aria-label={label} tabIndex={0}>
    {children}
  </section>
)

/** A table's header row: `numeric` columns align right; `actions` adds a last column named for screen readers only. */
export const ColumnHeads = ({
  columns,
  numeric = [],
  actions = false,
}: {
  columns: ReadonlyArray<string>
  numeric?: ReadonlyArray<string>
  actions?: boolean
}) => (
  <thead>
    <tr>
      {columns.map((column) => (
        <th key={column} scope="col" class={numeric.includes(column) ? "num" : undefined}>
          {column}
        </th>
      ))}
      {actions ? (
        <th scope="col">
          <span class="visually-hidden">Actions</span>
        </th>
      ) : null}
    </tr>
  </thead>
)
