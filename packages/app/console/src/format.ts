/** Numbers and times as the viewer reads them: their locale's separators, their time zone. */

const integers = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 })

export const credits = (value: number | bigint) => integers.format(value)

const compact = new Intl.NumberFormat(undefined, { notation: "compact", maximumFractionDigits: 2 })

/** A chart axis's tick: exact below a million, shortened above it (`4.9M`), so it fits the axis. */
export const tickCredits = (value: number) => (Math.abs(value) < 1_000_000 ? credits(value) : compact.format(value))

/** A signed amount: `+1,000` or `−250`. */
export const signed = (value: number) => (value > 0 ? `+${integers.format(value)}` : integers.format(value))

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" })

export const localTime = (iso: string) => dateTime.format(new Date(iso))

/** How the same moment reads in UTC, for the hover text. */
export const utcTime = (iso: string) =>
  `${new Date(iso)
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d+Z$/, "")} UTC`

/** A `datetime-local` input's value (the viewer's zone) as an ISO-8601 instant, or undefined when empty. */
export const instantOf = (local: string) => (local === "" ? undefined : new Date(local).toISOString())

const twoDigits = (value: number) => String(value).padStart(2, "0")

/** An ISO-8601 instant as a `datetime-local` input's value, in the viewer's zone: `instantOf`'s inverse. */
export const localInputOf = (iso: string) => {
  const at = new Date(iso)
  return `${at.getFullYear()}-${twoDigits(at.getMonth() + 1)}-${twoDigits(at.getDate())}T${twoDigits(at.getHours())}:${twoDigits(at.getMinutes())}:${twoDigits(at.getSeconds())}`
}

/** Characters that reorder the text around them: bidi marks, embeddings, overrides and isolates. */
const bidiControls = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/g

/**
 * Text as it was stored, each bidi control shown as its code point (`⟨U+202E⟩`) instead of acting: a
 * reason's right-to-left override would show "gnp.exe" as "exe.png".
 */
export const visibleText = (text: string) =>
  text.replace(bidiControls, (control) => `⟨U+${control.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}⟩`)
