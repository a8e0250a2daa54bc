import { InvalidRequest } from "./LedgerError.ts"

/**
 * An opaque position in an account's history, newest first: the page after it holds the entries
 * with a lower sequence. Keyset, not offset, so new entries never shift a page.
 */
const prefix = "before:"

export const encodeCursor = (beforeSequence: number): string => btoa(`${prefix}${beforeSequence}`).replace(/=+$/, "")

export const decodeCursor = (cursor: string): number | InvalidRequest => {
  let text: string
  try {
    text = atob(cursor)
  } catch {
    return new InvalidRequest({ message: `cursor ${JSON.stringify(cursor)} is not one Tally issued` })
  }
  const sequence = Number(text.slice(prefix.length))
  return text.startsWith(prefix) && Number.isSafeInteger(sequence) && sequence >= 1
    ? sequence
    : new InvalidRequest({ message: `cursor ${JSON.stringify(cursor)} is not one Tally issued` })
}
