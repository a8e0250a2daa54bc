import type { Entry } from "../Entry.ts"

/**
 * Entries as CSV (RFC 4180): a header line, then one line per entry, every line ending in CRLF.
 * Metadata is its JSON text in one field.
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
] as const satisfies ReadonlyArray<keyof Entry>

const field = (value: unknown): string => {
  if (value === null) return ""
  const text = typeof value === "object" ? JSON.stringify(value) : String(value)
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

export const csvHeader = `${csvColumns.join(",")}\r\n`

export const csvLine = (entry: Entry): string => `${csvColumns.map((column) => field(entry[column])).join(",")}\r\n`

export const ndjsonLine = (entry: Entry): string => `${JSON.stringify(entry)}\n`
