import { useCallback, useEffect, useState } from "preact/hooks"
import { ApiError } from "./api.ts"

/** The first wait before a failed read is asked again; each failure in a row doubles it, up to the most. */
const readRetryMsMin = 2_000
const readRetryMsMax = 15_000

/**
 * Whether a failed read may answer if asked again: the ledger unavailable (503, its database away),
 * a proxy's 502 or 504, or no answer at all. A refusal (4xx) answers the same however often it is asked.
 */
export const worthRetrying = (failure: unknown) =>
  !(failure instanceof ApiError) || failure.status === 502 || failure.status === 503 || failure.status === 504

/** The wait before the next read after `failures` in a row: doubling, and never sooner than the service's Retry-After. */
export const retryDelayMs = (failure: unknown, failures: number) =>
  Math.max(
    failure instanceof ApiError ? (failure.retryAfterSeconds ?? 0) * 1_000 : 0,
    Math.min(readRetryMsMax, readRetryMsMin * 2 ** (failures - 1)),
  )

export interface Loaded<A> {
  readonly value?: A
  readonly error?: unknown
  /** Whether the failed read is asked again by itself (`worthRetrying`). */
  readonly retrying?: boolean
  /** Reads again now. */
  readonly retry: () => void
}

/**
 * Loads when `deps` change. What was loaded shows while a reload of the same thing (`identity`, by
 * default all of `deps`) runs, so an action's refresh keeps the page in place; what was loaded for
 * another identity (another page of entries) never shows under the new one. A late answer to an
 * earlier load is dropped. A read that may answer later (the ledger unavailable) is asked again by
 * itself, with backoff, until it answers: the page recovers from an outage without a reload.
 */
export const useLoad = <A>(
  load: () => Promise<A>,
  deps: ReadonlyArray<unknown>,
  identity: ReadonlyArray<unknown> = deps,
): Loaded<A> => {
  const key = JSON.stringify(identity)
  const [state, setState] = useState<{ value?: A; error?: unknown; retrying?: boolean; key?: string }>({})
  // Bumped by Retry: a new read now, whatever the wait left.
  const [asked, setAsked] = useState(0)
  const reload = useCallback(() => {
    let current = true
    let failures = 0
    let timer: ReturnType<typeof setTimeout> | undefined
    const read = () =>
      load().then(
        (value) => current && setState({ value, key }),
        (error) => {
          if (!current) return
          failures++
          const retrying = worthRetrying(error)
          setState({ error, retrying, key })
          if (retrying) timer = setTimeout(read, retryDelayMs(error, failures))
        },
      )
    void read()
    return () => {
      current = false
      clearTimeout(timer)
    }
  }, [...deps, asked])
  useEffect(reload, [reload])
  const retry = useCallback(() => setAsked((n) => n + 1), [])
  return state.key === key ? { ...state, retry } : { retry }
}
