import { InvalidRequest } from "../LedgerError.ts"
import type { LedgerPosition } from "../LedgerStore.ts"

/**
 * An opaque position in the ledger-wide history (newest first by time, account id, sequence): the
 * page after it holds the entries after that position. Keyset, so new entries never shift a page.
 */
const prefix = "after:"

const notIssued = (cursor: string) =>
  new InvalidRequest({ message: `cursor ${JSON.stringify(cursor)} is not one Tally issued` })

// Account ids and ISO times are ASCII, so btoa applies; base64url keeps the cursor URL-safe.
export const encodeLedgerCursor = ({ createdAt, accountId, sequence }: LedgerPosition): string =>
  btoa(`${prefix}${JSON.stringify([createdAt, accountId, sequence])}`)
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "")

export const decodeLedgerCursor = (cursor: string): LedgerPosition | InvalidRequest => {
  try {
    const text = atob(cursor.replace(/-/g, "+").replace(/_/g, "/"))
    if (!text.startsWith(prefix)) return notIssued(cursor)
    const [createdAt, accountId, sequence] = JSON.parse(text.slice(prefix.length)) as Array<unknown>
    return typeof createdAt === "string" &&
      !Number.isNaN(Date.parse(createdAt)) &&
      typeof accountId === "string" &&
      Number.isSafeInteger(sequence) &&
      (sequence as number) >= 1
      ? { createdAt, accountId, sequence: sequence as number }
      : notIssued(cursor)
  } catch {
    return notIssued(cursor)
  }
}
