import * as Option from "effect/Option"
import { isAccountId } from "../AccountId.ts"
import { fromBase64Url, notIssued, toBase64Url } from "../CursorText.ts"
import type { InvalidRequest } from "../LedgerError.ts"
import type { LedgerPosition } from "../LedgerStore.ts"
import { isInstant } from "./Instant.ts"

/**
 * An opaque position in the ledger-wide history (newest first by time, account id, sequence): the
 * page after it holds the entries after that position. Keyset, so new entries never shift a page.
 */
const prefix = "after:"

export const encodeLedgerCursor = ({ createdAt, accountId, sequence }: LedgerPosition): string =>
  toBase64Url(`${prefix}${JSON.stringify([createdAt, accountId, sequence])}`)

export const decodeLedgerCursor = (cursor: string): LedgerPosition | InvalidRequest => {
  try {
    const text = Option.getOrElse(fromBase64Url(cursor), () => "")
    if (!text.startsWith(prefix)) return notIssued(cursor)
    const [createdAt, accountId, sequence] = JSON.parse(text.slice(prefix.length)) as Array<unknown>
    return isInstant(createdAt) && isAccountId(accountId) && Number.isSafeInteger(sequence) && (sequence as number) >= 1
      ? { createdAt, accountId, sequence: sequence as number }
      : notIssued(cursor)
  } catch {
    return notIssued(cursor)
  }
}
