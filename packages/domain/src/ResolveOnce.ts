/**
 * Where something that resolves once (an auto top-up request, a pending credit) stands when a caller
 * acts on it at `nowMs`: missing, resolved already, past its deadline (from `expiresAt` on it can
 * only expire), or still open. Both features decide on it under the account's exclusive access, so
 * whichever write comes first resolves it and the others find it resolved.
 */
export type Standing<T> =
  | { readonly _tag: "Missing" }
  | { readonly _tag: "Resolved"; readonly item: T }
  | { readonly _tag: "PastDeadline"; readonly item: T; readonly expiresAt: string }
  | { readonly _tag: "Open"; readonly item: T }

export interface ResolvesOnce {
  readonly status: string
  readonly expiresAt: string
}

export const standingOf = <T extends ResolvesOnce>(
  item: T | undefined,
  openStatus: string,
  nowMs: number,
): Standing<T> => {
  if (item === undefined) return { _tag: "Missing" }
  if (item.status !== openStatus) return { _tag: "Resolved", item }
  if (nowMs >= Date.parse(item.expiresAt)) return { _tag: "PastDeadline", item, expiresAt: item.expiresAt }
  return { _tag: "Open", item }
}
