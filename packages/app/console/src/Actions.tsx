import type { ComponentChildren } from "preact"
import { useEffect, useId, useRef, useState } from "preact/hooks"
import {
  ApiError,
  type AutoTopUpRequest,
  api,
  type Balances,
  type Entry,
  type Hold,
  inFlight,
  newIdempotencyKey,
} from "./api.ts"
import { credits, signed, visibleText } from "./format.ts"
import { Dialog, Failure } from "./ui.tsx"

/**
 * Whether a failed write may have been written: no answer at all, `OutcomeUnknown`, or any other
 * failure of the service or a proxy in front of it. A refusal (4xx) and `LedgerUnavailable` wrote nothing.
 */
const outcomeUnknown = (failure: unknown) =>
  !(failure instanceof ApiError) || (failure.status >= 500 && failure.tag !== "LedgerUnavailable")

/**
 * How long Confirm ignores activation after the review appears: an Enter pressed twice on the form
 * (~80 ms apart) would otherwise confirm what the operator never saw.
 */
const reviewPauseMs = 800

/**
 * Every correction goes the same way: fill in, read what will happen (the amount and the balance
 * after, worked out from the account's figures read again when Review is pressed), confirm. The
 * confirmation carries one idempotency key, made when it is shown: confirming again after a lost
 * answer replays the write instead of making a second one. After such an answer the form is not
 * offered again (a changed request would take a new key), only Confirm and Close.
 */
const ConfirmFlow = ({
  title,
  onClose,
  onDone,
  problem,
  preview,
  submit,
  children,
}: {
  title: string
  onClose: () => void
  onDone: () => void
  /** Why the form cannot be reviewed yet, or null when it can. */
  problem: string | null
  /** What confirming will do, worked out from figures read now. */
  preview: () => Promise<string>
  submit: (idempotencyKey: string) => Promise<string>
  children: ComponentChildren
}) => {
  const [step, setStep] = useState<
    { at: "edit" } | { at: "reading" } | { at: "confirm"; key: string; text: string } | { at: "done"; text: string }
  >({ at: "edit" })
  const [error, setError] = useState<unknown>(null)
  const [busy, setBusy] = useState(false)
  const [reviewSeen, setReviewSeen] = useState(false)
  const stepRef = useRef<HTMLDivElement>(null)
  useEffect(() => {
    // The control that moved the dialog on is gone: focus goes to the new step's first one.
    if (step.at === "confirm" || step.at === "done") stepRef.current?.querySelector("button")?.focus()
  }, [step.at])
  useEffect(() => {
    setReviewSeen(false)
    if (step.at !== "confirm") return
    const timer = setTimeout(() => setReviewSeen(true), reviewPauseMs)
    return () => clearTimeout(timer)
  }, [step])
  const review = async () => {
    setError(null)
    setStep({ at: "reading" })
    try {
      const text = await preview()
      setStep({ at: "confirm", key: newIdempotencyKey(), text })
    } catch (failure) {
      setError(failure)
      setStep({ at: "edit" })
    }
  }
  const confirm = async (key: string) => {
    // Marked aria-disabled rather than disabled, so focus stays on it (a disabled button drops focus).
    if (!reviewSeen || busy) return
    setBusy(true)
    setError(null)
    try {
      const text = await inFlight(() => submit(key))
      setStep({ at: "done", text })
      onDone()
    } catch (failure) {
      setError(failure)
      // The page's figures are read again: a refusal often means they were out of date.
      onDone()
    } finally {
      setBusy(false)
    }
  }
  const unknown = error !== null && outcomeUnknown(error)
  return (
    // While a write is in flight the dialog neither closes nor goes back to the form: a second
    // confirmation from the form would carry a new key and could write a second time.
    <Dialog title={title} onClose={onClose} closable={!busy}>
      {step.at === "edit" || step.at === "reading" ? (
        <form
          onSubmit={(event) => {
            event.preventDefault()
            if (problem === null && step.at === "edit") void review()
          }}
        >
          {children}
          {problem === null ? null : <p class="hint">{problem}</p>}
          {step.at === "reading" ? <p aria-busy="true">Reading the balance…</p> : null}
          {error === null ? null : (
            <Failure error={error} action="The figures to preview were not read; nothing was written. Review again." />
          )}
          <div class="buttons">
            <button type="submit" disabled={problem !== null || step.at === "reading"}>
              Review
            </button>
            <button type="button" class="secondary" onClick={onClose}>
              Cancel
            </button>
          </div>
        </form>
      ) : step.at === "confirm" ? (
        <div ref={stepRef}>
          <p class="confirmation">{step.text}</p>
          {error === null ? null : (
            <Failure
              error={error}
              action={
                unknown
                  ? "It is not known whether this was written. Confirm again to find out: the same idempotency key answers a write that landed instead of making a second one."
                  : "Nothing was written; change the request or cancel."
              }
            />
          )}
          <div class="buttons">
            <button
              type="button"
              aria-disabled={!reviewSeen || busy}
              onClick={() => confirm(step.key)}
              // A held Enter repeats: its repeats never confirm, however long it is held.
              onKeyDown={(event) => {
                if (event.key === "Enter" && event.repeat) event.preventDefault()
              }}
            >
              {busy ? "Working…" : "Confirm"}
            </button>
            {unknown ? (
              <button type="button" class="secondary" disabled={busy} onClick={onClose}>
                Close
              </button>
            ) : (
              <button
                type="button"
                class="secondary"
                disabled={busy}
                onClick={() => {
                  setError(null)
                  setStep({ at: "edit" })
                }}
              >
                Back
              </button>
            )}
          </div>
        </div>
      ) : (
        <div ref={stepRef}>
          <p class="done" role="status">
            {step.text}
          </p>
          <CloseButtons onClose={onClose} />
        </div>
      )}
    </Dialog>
  )
}

/** A whole number typed into a field, or undefined while it is not one JavaScript holds exactly. */
export const integerOf = (text: string) => {
  const value = /^-?\d+$/.test(text.trim()) ? Number(text.trim()) : undefined
  return value !== undefined && Number.isSafeInteger(value) ? value : undefined
}

const Field = ({
  label,
  value,
  onInput,
  hint,
  numeric = false,
}: {
  label: string
  value: string
  onInput: (value: string) => void
  hint?: string
  numeric?: boolean
}) => {
  const id = useId()
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <input
        id={id}
        value={value}
        onInput={(event) => onInput(event.currentTarget.value)}
        {...(numeric ? { inputMode: "numeric" as const } : {})}
        {...(hint === undefined ? {} : { "aria-describedby": `${id}-hint` })}
      />
      {hint === undefined ? null : <small id={`${id}-hint`}>{hint}</small>}
    </div>
  )
}

const NumberField = (props: { label: string; value: string; onInput: (value: string) => void; hint?: string }) => (
  <Field {...props} numeric />
)

const TextField = (props: { label: string; value: string; onInput: (value: string) => void }) => <Field {...props} />

const posted = (what: string, entry: Entry, balance: number) =>
  `${what}: entry #${entry.sequence} (${entry.decision}, ${signed(entry.amount)}); the balance is now ${credits(balance)}.`

/** The largest balance the ledger holds exactly, 2^53 - 1; below -(2^53 - 1) is refused too (`BalanceLimitExceeded`). */
const balanceMax = BigInt(Number.MAX_SAFE_INTEGER)

/** A figure after a change, worked out exactly: past 2^53 - 1 a JavaScript number would round it. */
const plus = (figure: number, change: number) => BigInt(figure) + BigInt(change)

const outOfBounds = (figure: bigint) => figure > balanceMax || figure < -balanceMax

/** Why the service will refuse a change whose balance (or available) leaves what it holds exactly. */
const pastLimit = (figure: bigint) =>
  ` It would pass the ${figure > 0n ? "largest" : "smallest"} balance the ledger holds, ${credits(figure > 0n ? balanceMax : -balanceMax)}, so the service will refuse it (BalanceLimitExceeded).`

/** The account's figures as they are now, and its floor (`-overdraftLimit`): what a preview is worked out from. */
interface Figures extends Balances {
  readonly floor: number
}

const figuresOf = async (accountId: string): Promise<Figures> => {
  const [balances, settings] = await Promise.all([api.balance(accountId), api.settings(accountId)])
  // 0 - limit, not -limit: a floor of -0 would read "-0".
  return {
    balance: balances.balance,
    held: balances.held,
    available: balances.available,
    floor: 0 - settings.overdraftLimit,
  }
}

interface AccountAction {
  accountId: string
  onClose: () => void
  onDone: () => void
}

export const TopUpAction = ({ accountId, onClose, onDone }: AccountAction) => {
  const [amount, setAmount] = useState("")
  const [ceiling, setCeiling] = useState("")
  const value = integerOf(amount)
  const cap = ceiling.trim() === "" ? undefined : integerOf(ceiling)
  const problem =
    value === undefined || value <= 0
      ? "Enter an amount: a whole number from 1 to 9,007,199,254,740,991."
      : ceiling.trim() !== "" && (cap === undefined || cap < 0)
        ? "The ceiling is a whole number from 0 to 9,007,199,254,740,991, or empty for none."
        : null
  const preview = async () => {
    const { balance } = await api.balance(accountId)
    const capText = cap === undefined ? "" : ` with ceiling ${credits(cap)}`
    if (cap !== undefined && balance >= cap)
      return `Top up ${credits(value!)}${capText}: the balance ${credits(balance)} is already at or above the ceiling, so the service will refuse it.`
    const uncapped = plus(balance, value!)
    const after = cap === undefined || uncapped < BigInt(cap) ? uncapped : BigInt(cap)
    const clamp =
      after - BigInt(balance) < BigInt(value!) ? ` (clamped to ${credits(after - BigInt(balance))} by the ceiling)` : ""
    const text = `Top up ${credits(value!)}${capText}${clamp}: balance ${credits(balance)} → ${credits(after)}.`
    return outOfBounds(after) ? text + pastLimit(after) : text
  }
  return (
    <ConfirmFlow
      title={`Top up ${accountId}`}
      onClose={onClose}
      onDone={onDone}
      problem={problem}
      preview={preview}
      submit={async (key) => {
        const answer = await api.topUp(
          accountId,
          { amount: value!, ...(cap === undefined ? {} : { ceiling: cap }) },
          key,
        )
        return posted("Topped up", answer.entry, answer.balance)
      }}
    >
      <NumberField label="Amount (credits)" value={amount} onInput={setAmount} />
      <NumberField
        label="Ceiling (optional)"
        value={ceiling}
        onInput={setCeiling}
        hint="The balance never passes it: the top-up is clamped, or refused when the balance is already there."
      />
    </ConfirmFlow>
  )
}

/** Why the service will refuse a debit that obeys the floor, or "" when it will not. */
const belowFloor = (figures: Figures, debit: number) => {
  const availableAfter = plus(figures.available, -debit)
  return availableAfter < BigInt(figures.floor)
    ? ` Available ${credits(figures.available)} → ${credits(availableAfter)} would go below the account's floor ${credits(figures.floor)}, so the service will refuse it (InsufficientCredits).`
    : ""
}

export const AdjustAction = ({ accountId, onClose, onDone }: AccountAction) => {
  const [amount, setAmount] = useState("")
  const [reason, setReason] = useState("")
  const [actor, setActor] = useState("")
  const value = integerOf(amount)
  const problem =
    value === undefined || value === 0
      ? "Enter an amount: above 0 adds credits, below 0 removes them."
      : reason.trim() === "" || actor.trim() === ""
        ? "Say why (reason) and who you are (actor): both are recorded on the entry."
        : null
  const preview = async () => {
    const figures = await figuresOf(accountId)
    const after = plus(figures.balance, value!)
    const text = `Adjust by ${signed(value!)} (reason “${visibleText(reason.trim())}”, by ${visibleText(actor.trim())}): balance ${credits(figures.balance)} → ${credits(after)}.`
    if (outOfBounds(after)) return text + pastLimit(after)
    // A removal obeys the floor on the available balance, like a spend.
    return value! < 0 ? text + belowFloor(figures, -value!) : text
  }
  return (
    <ConfirmFlow
      title={`Adjust ${accountId}`}
      onClose={onClose}
      onDone={onDone}
      problem={problem}
      preview={preview}
      submit={async (key) => {
        const answer = await api.adjust(accountId, { amount: value!, reason: reason.trim(), actor: actor.trim() }, key)
        return posted("Adjusted", answer.entry, answer.balance)
      }}
    >
      <NumberField label="Amount (credits, negative to remove)" value={amount} onInput={setAmount} />
      <TextField label="Reason" value={reason} onInput={setReason} />
      <TextField label="Actor (who makes it)" value={actor} onInput={setActor} />
    </ConfirmFlow>
  )
}

/** An entry with nothing left to refund: said so, with no form (whose amount would be "from 1 to 0"). */
/** An action's last step: nothing left but to close it. */
const CloseButtons = ({ onClose }: { onClose: () => void }) => (
  <div class="buttons">
    <button type="button" onClick={onClose}>
      Close
    </button>
  </div>
)

export const NothingToRefund = ({ entry, onClose }: { entry: Entry; onClose: () => void }) => (
  <Dialog title={`Refund entry #${entry.sequence}`} onClose={onClose}>
    <p>
      Entry #{entry.sequence} ({entry.kind} {signed(entry.amount)}) is refunded in full: nothing is left to refund.
    </p>
    <CloseButtons onClose={onClose} />
  </Dialog>
)

export const RefundAction = ({
  accountId,
  entry,
  refundable,
  onClose,
  onDone,
}: AccountAction & { entry: Entry; refundable: number | undefined }) => {
  const [amount, setAmount] = useState(refundable === undefined ? "" : String(refundable))
  const [reason, setReason] = useState("")
  const value = integerOf(amount)
  const most = refundable ?? entry.amount
  const problem =
    value === undefined || value <= 0 || value > most
      ? `Enter an amount: a whole number from 1 to ${credits(most)}.`
      : null
  const preview = async () => {
    const figures = await figuresOf(accountId)
    const after = plus(figures.balance, -value!)
    const availableAfter = plus(figures.available, -value!)
    const text = `Refund ${credits(value!)} of entry #${entry.sequence} (${entry.kind} ${signed(entry.amount)}): balance ${credits(figures.balance)} → ${credits(after)}.`
    if (outOfBounds(after)) return text + pastLimit(after)
    if (outOfBounds(availableAfter)) return text + pastLimit(availableAfter)
    // A refund ignores the floor: the money already went back to the customer.
    return availableAfter < BigInt(figures.floor)
      ? `${text} Available goes below the account's floor ${credits(figures.floor)}: the refund is made all the same, and its entry says overdrawn.`
      : text
  }
  return (
    <ConfirmFlow
      title={`Refund entry #${entry.sequence}`}
      onClose={onClose}
      onDone={onDone}
      problem={problem}
      preview={preview}
      submit={async (key) => {
        const answer = await api.refund(
          accountId,
          entry.sequence,
          { amount: value!, ...(reason.trim() === "" ? {} : { reason: reason.trim() }) },
          key,
        )
        return posted("Refunded", answer.entry, answer.balance)
      }}
    >
      {refundable === undefined ? (
        <p>
          What is left to refund of this entry was not worked out: the account has more refunds than the console reads.
          The service refuses a refund of more than is left, and says how much that is.
        </p>
      ) : (
        <p>
          Left to refund of this entry: <strong>{credits(refundable)}</strong>
        </p>
      )}
      <NumberField label="Amount to refund (credits)" value={amount} onInput={setAmount} />
      <TextField label="Reason (optional)" value={reason} onInput={setReason} />
    </ConfirmFlow>
  )
}

export const ReleaseAction = ({ accountId, hold, onClose, onDone }: AccountAction & { hold: Hold }) => {
  const remaining = hold.amount - hold.captured
  return (
    <ConfirmFlow
      title={`Release hold #${hold.holdId}`}
      onClose={onClose}
      onDone={onDone}
      problem={null}
      preview={async () => {
        const { balance, available } = await api.balance(accountId)
        return `Release hold #${hold.holdId}: frees ${credits(remaining)}; available ${credits(available)} → ${credits(plus(available, remaining))}, the balance stays ${credits(balance)}.`
      }}
      submit={async (key) => {
        const answer = await api.release(accountId, hold.holdId, key)
        return `Released hold #${answer.hold.holdId} (${answer.hold.status}); available is now ${credits(answer.available)}.`
      }}
    >
      <p>The hold still reserves {credits(remaining)} credits.</p>
    </ConfirmFlow>
  )
}

/** What a capture does with the hold beyond its amount: releases what is left, or takes more than the hold. */
const whatIsLeft = (captured: number, remaining: number) =>
  captured < remaining
    ? `releasing the rest (${credits(remaining - captured)})`
    : captured === remaining
      ? "the whole hold"
      : `its ${credits(remaining)} and ${credits(captured - remaining)} beyond it, from the available balance`

export const CaptureAction = ({ accountId, hold, onClose, onDone }: AccountAction & { hold: Hold }) => {
  const remaining = hold.amount - hold.captured
  const [amount, setAmount] = useState(String(remaining))
  const value = integerOf(amount)
  const problem =
    value === undefined || value <= 0 ? "Enter an amount: a whole number from 1 to 9,007,199,254,740,991." : null
  const preview = async () => {
    const figures = await figuresOf(accountId)
    const after = plus(figures.balance, -value!)
    const text = `Capture ${credits(value!)} of hold #${hold.holdId} as usage, ${whatIsLeft(value!, remaining)}: balance ${credits(figures.balance)} → ${credits(after)}.`
    if (outOfBounds(after)) return text + pastLimit(after)
    // What goes beyond the hold comes from the available balance and obeys the floor.
    return value! > remaining ? text + belowFloor(figures, value! - remaining) : text
  }
  return (
    <ConfirmFlow
      title={`Capture hold #${hold.holdId}`}
      onClose={onClose}
      onDone={onDone}
      problem={problem}
      preview={preview}
      submit={async (key) => {
        const answer = await api.capture(accountId, hold.holdId, { amount: value! }, key)
        return answer.entry === null
          ? `Hold #${answer.hold.holdId} is ${answer.hold.status}.`
          : posted("Captured", answer.entry, answer.balance)
      }}
    >
      <NumberField label="Amount to capture (credits)" value={amount} onInput={setAmount} />
    </ConfirmFlow>
  )
}

export const CompleteRequestAction = ({
  accountId,
  request,
  onClose,
  onDone,
}: AccountAction & { request: AutoTopUpRequest }) => {
  const [reference, setReference] = useState("")
  const preview = async () => {
    const { balance } = await api.balance(accountId)
    const after = plus(balance, request.amount)
    const text = `Complete auto top-up request #${request.requestId} with payment ${visibleText(reference.trim())}: credits ${credits(request.amount)}, balance ${credits(balance)} → ${credits(after)}.`
    return outOfBounds(after) ? text + pastLimit(after) : text
  }
  return (
    <ConfirmFlow
      title={`Complete auto top-up request #${request.requestId}`}
      onClose={onClose}
      onDone={onDone}
      problem={
        reference.trim() === "" ? "Enter the payment's reference (your payment provider's id of the charge)." : null
      }
      preview={preview}
      // The payment reference is this write's idempotency key, as the API defines it.
      submit={async () => {
        const answer = await api.completeAutoTopUp(accountId, request.requestId, reference.trim())
        return answer.entry === null
          ? `Request #${answer.request.requestId} is ${answer.request.status}.`
          : posted("Completed", answer.entry, answer.entry.balanceAfter)
      }}
    >
      <TextField label="Payment reference" value={reference} onInput={setReference} />
    </ConfirmFlow>
  )
}

export const FailRequestAction = ({
  accountId,
  request,
  onClose,
  onDone,
}: AccountAction & { request: AutoTopUpRequest }) => {
  const [reason, setReason] = useState("")
  return (
    <ConfirmFlow
      title={`Fail auto top-up request #${request.requestId}`}
      onClose={onClose}
      onDone={onDone}
      problem={reason.trim() === "" ? "Say why the payment failed (the provider's code or a sentence)." : null}
      // Nothing is credited: the preview needs no figures.
      preview={async () =>
        `Fail auto top-up request #${request.requestId} (“${visibleText(reason.trim())}”): nothing is credited; after repeated failures in a row auto top-up switches off.`
      }
      submit={async (key) => {
        const answer = await api.failAutoTopUp(accountId, request.requestId, reason.trim(), key)
        return `Request #${answer.request.requestId} is ${answer.request.status}.`
      }}
    >
      <TextField label="Reason" value={reason} onInput={setReason} />
    </ConfirmFlow>
  )
}
