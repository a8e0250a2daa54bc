/** Numbers and times as the viewer reads them: their locale's separators, their time zone. */

const integers = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 })

export const credits = (value: number | bigint) => integers.format(value)

// Grouped always: by default a compact figure groups only from five digits, and an axis read "10,000T" over "8000T".
const compact = new Intl.NumberFormat(undefined, { notation: "compact", maximumFractionDigits: 2, useGrouping: true })

/** A chart axis's tick: exact below a million, shortened above it (`4.9M`), so it fits the axis. */
export const tickCredits = (value: number) => (Math.abs(value) < 1_000_000 ? credits(value) : compact.format(value))

/** A signed amount: `+1,000` or `−250`. */
export const signed = (value: number) => (value > 0 ? `+${integers.format(value)}` : integers.format(value))

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" })

export const localTime = (iso: string) => dateTime.format(new Date(iso))

const clockTime = new Intl.DateTimeFormat(undefined, { timeStyle: "medium" })
const dayAndTime = new Intl.DateTimeFormat(undefined, {
  month: "short",
  day: "numeric",
  hour: "numeric",
  minute: "2-digit",
})
const day = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" })

/**
 * A chart's time ticks (epoch seconds) in the viewer's zone, all in one form chosen by how far apart they
 * are: the time of day within a day, the day and time within a few weeks, the day beyond.
 */
export const tickTimes = (ticks: ReadonlyArray<number>) => {
  const stepSeconds = ticks.length < 2 ? 0 : ticks[1]! - ticks[0]!
  const format = stepSeconds < 3_600 ? clockTime : stepSeconds < 86_400 ? dayAndTime : day
  return ticks.map((tick) => format.format(new Date(tick * 1_000)))
}

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
