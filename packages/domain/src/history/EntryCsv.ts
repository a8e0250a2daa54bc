import type { Entry } from "../Entry.ts"

/**
 * Entries as CSV (RFC 4180): a header line, then one line per entry, every line ending in CRLF.
 * Metadata is its JSON text in one field; `member` is last, so readers of the earlier columns read on.
 */
export const csvColumns = [
  "accountId",
  "sequence",
  "createdAt",
  "kind",
  "decision",
  "requested",
  "amount",
  "balanceAfter",
  "idempotencyKey",
  "reference",
  "holdId",
  "refundOf",
  "reason",
  "actor",
  "overdrawn",
  "metadata",
  "member",
] as const satisfies ReadonlyArray<keyof Entry>

const field = (value: unknown): string => {
  // An entry that names no member has no `member` key: an empty field, as a null.
  if (value === null || value === undefined) return ""
  const text = typeof value === "object" ? JSON.stringify(value) : String(value)
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

export const csvHeader = `${csvColumns.join(",")}\r\n`

export const csvLine = (entry: Entry): string => `${csvColumns.map((column) => field(entry[column])).join(",")}\r\n`

export const ndjsonLine = (entry: Entry): string => `${JSON.stringify(entry)}\n`
