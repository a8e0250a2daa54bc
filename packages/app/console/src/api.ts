import type {
  AccountSummary,
  AutoTopUpRequest,
  AutoTopUpStatus,
  Entry,
  EntryKind,
  EventType,
  Hold,
  LedgerEvent,
  RefillStatus,
  WebhookDelivery,
  WebhookEndpoint,
} from "@tally/domain"
import { entryKinds } from "../../src/DomainChoices.ts"

/**
 * The console's only way to the ledger: the public HTTP API on this origin, with the service's token
 * when it has one. The token is asked once and kept for the tab's session (`sessionStorage`), never
 * in a cookie or on disk.
 */

export type {
  AccountSummary,
  AutoTopUpRequest,
  AutoTopUpStatus,
  Entry,
  EntryKind,
  EventType,
  Hold,
  LedgerEvent,
  RefillStatus,
  WebhookDelivery,
  WebhookEndpoint,
}

export { entryKinds }

const tokenKey = "tally-api-token"

export const token = {
  get: () => sessionStorage.getItem(tokenKey),
  set: (value: string) => sessionStorage.setItem(tokenKey, value),
  clear: () => sessionStorage.removeItem(tokenKey),
}

/** The API's refusal as it answered it: `{ _tag, message, ...values }` and its status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly tag: string,
    message: string,
    /** The service's Retry-After (a 503's), in seconds: how long to wait before asking again. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message)
  }
}

const errorOf = async (response: Response) => {
  const body = (await response.json().catch(() => ({}))) as { _tag?: string; message?: string }
  const retryAfter = Number(response.headers.get("retry-after") ?? Number.NaN)
  return new ApiError(
    response.status,
    body._tag ?? `HTTP ${response.status}`,
    body.message ?? response.statusText,
    Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter : undefined,
  )
}

type Query = Record<string, string | number | undefined>

const withQuery = (path: string, query: Query = {}) => {
  const params = new URLSearchParams()
  for (const [name, value] of Object.entries(query))
    if (value !== undefined && value !== "") params.set(name, String(value))
  const text = params.toString()
  return text === "" ? path : `${path}?${text}`
}

/** Listeners told when the API refuses the token, so the page asks for it again. */
const unauthorizedListeners = new Set<() => void>()
export const onUnauthorized = (listener: () => void) => {
  unauthorizedListeners.add(listener)
  return () => unauthorizedListeners.delete(listener)
}

export const request = async <A>(
  method: "GET" | "POST" | "PUT",
  path: string,
  options: { query?: Query; body?: unknown; idempotencyKey?: string; signal?: AbortSignal; tokenToTry?: string } = {},
): Promise<A> => {
  const headers: Record<string, string> = {}
  const bearer = options.tokenToTry ?? token.get()
  if (bearer !== null && bearer !== "") headers.authorization = `Bearer ${bearer}`
  if (options.body !== undefined) headers["content-type"] = "application/json"
  if (options.idempotencyKey !== undefined) headers["idempotency-key"] = options.idempotencyKey
  const response = await fetch(withQuery(path, options.query), {
    method,
    headers,
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  })
  if (!response.ok) {
    const error = await errorOf(response)
    if (response.status === 401 && options.tokenToTry === undefined)
      for (const listener of unauthorizedListeners) listener()
    throw error
  }
  return (await response.json()) as A
}

/**
 * How many writes are waiting for their answer. While one is, the page neither changes (Back, Forward, an
 * address typed) nor unloads without the browser asking: its answer would be lost, and the operator,
 * not knowing, could make the write again under a new key.
 */
export const writesInFlight = { count: 0 }

const holdTheTab = (event: BeforeUnloadEvent) => event.preventDefault()

/** Runs a write, counted in `writesInFlight` until it answers. */
export const inFlight = async <A>(write: () => Promise<A>) => {
  if (writesInFlight.count++ === 0) window.addEventListener("beforeunload", holdTheTab)
  try {
    return await write()
  } finally {
    if (--writesInFlight.count === 0) window.removeEventListener("beforeunload", holdTheTab)
  }
}

/** A fresh key per action: a retry of the same confirmation replays, a new action never does. */
export const newIdempotencyKey = () => `console-${crypto.randomUUID()}`

const account = (accountId: string) => `/v1/accounts/${encodeURIComponent(accountId)}`

export interface Page<A> {
  readonly items: ReadonlyArray<A>
  readonly nextCursor: string | null
}

export interface EntryFilter {
  readonly kind?: EntryKind | undefined
  readonly from?: string | undefined
  readonly to?: string | undefined
  readonly reference?: string | undefined
}

export interface Balances {
  readonly balance: number
  readonly held: number
  readonly available: number
}

/** The balance answer: the credits, and what of them expires next (null when no live grant expires). */
export interface BalanceAnswer extends Balances {
  readonly expiresNext: { readonly amount: number; readonly at: string } | null
}

export interface WriteAnswer {
  readonly entry: Entry
  readonly balance: number
}

export interface HoldAnswer extends Balances {
  readonly hold: Hold
  readonly entry: Entry | null
}

export interface AutoTopUpAnswer {
  readonly request: AutoTopUpRequest
  readonly entry: Entry | null
}

export interface AuditReport {
  readonly accountsChecked: number
  readonly entriesChecked: number
  readonly violations: ReadonlyArray<{ accountId: string; sequence: number | null; problem: string }>
}

export const api = {
  /** Whether the API answers with this token (or none): a cheap read. */
  check: (tokenToTry?: string) =>
    request<unknown>("GET", "/v1/accounts", {
      query: { limit: 1 },
      ...(tokenToTry === undefined ? {} : { tokenToTry }),
    }),
  accounts: (query: { prefix?: string | undefined; cursor?: string | undefined; limit?: number }) =>
    request<{ accounts: ReadonlyArray<AccountSummary>; nextCursor: string | null }>("GET", "/v1/accounts", { query }),
  balance: (accountId: string) => request<BalanceAnswer>("GET", `${account(accountId)}/balance`),
  entries: (accountId: string, query: EntryFilter & { cursor?: string | undefined; limit?: number }) =>
    request<{ entries: ReadonlyArray<Entry>; nextCursor: string | null }>("GET", `${account(accountId)}/entries`, {
      query: { ...query },
    }),
  totals: (accountId: string, query: Omit<EntryFilter, "kind">) =>
    request<{ totals: ReadonlyArray<{ kind: EntryKind; entries: number; amount: number }> }>(
      "GET",
      `${account(accountId)}/totals`,
      { query: { ...query } },
    ),
  openHolds: (accountId: string) => request<{ holds: ReadonlyArray<Hold> }>("GET", `${account(accountId)}/holds`),
  hold: (accountId: string, holdId: number) => request<Hold>("GET", `${account(accountId)}/holds/${holdId}`),
  settings: (accountId: string) => request<{ overdraftLimit: number }>("GET", `${account(accountId)}/settings`),
  autoTopUp: (accountId: string) => request<AutoTopUpStatus>("GET", `${account(accountId)}/auto-top-up`),
  autoTopUpRequest: (accountId: string, requestId: number) =>
    request<AutoTopUpRequest>("GET", `${account(accountId)}/auto-top-up/requests/${requestId}`),
  refill: (accountId: string) => request<RefillStatus>("GET", `${account(accountId)}/refill`),
  topUp: (accountId: string, body: { amount: number; ceiling?: number }, key: string) =>
    request<WriteAnswer>("POST", `${account(accountId)}/top-ups`, { body, idempotencyKey: key }),
  adjust: (accountId: string, body: { amount: number; reason: string; actor: string; force?: boolean }, key: string) =>
    request<WriteAnswer>("POST", `${account(accountId)}/adjustments`, { body, idempotencyKey: key }),
  refund: (accountId: string, sequence: number, body: { amount: number; reason?: string }, key: string) =>
    request<WriteAnswer>("POST", `${account(accountId)}/entries/${sequence}/refunds`, { body, idempotencyKey: key }),
  release: (accountId: string, holdId: number, key: string) =>
    request<HoldAnswer>("POST", `${account(accountId)}/holds/${holdId}/release`, { idempotencyKey: key }),
  capture: (accountId: string, holdId: number, body: { amount?: number }, key: string) =>
    request<HoldAnswer>("POST", `${account(accountId)}/holds/${holdId}/captures`, { body, idempotencyKey: key }),
  completeAutoTopUp: (accountId: string, requestId: number, paymentReference: string) =>
    request<AutoTopUpAnswer>("POST", `${account(accountId)}/auto-top-up/requests/${requestId}/complete`, {
      body: { paymentReference },
    }),
  failAutoTopUp: (accountId: string, requestId: number, reason: string, key: string) =>
    request<AutoTopUpAnswer>("POST", `${account(accountId)}/auto-top-up/requests/${requestId}/fail`, {
      body: { reason },
      idempotencyKey: key,
    }),
  events: (after: number, wait: number, signal: AbortSignal) =>
    request<{ events: ReadonlyArray<LedgerEvent>; next: number }>("GET", "/v1/events", {
      query: { after, wait, limit: 500 },
      signal,
    }),
  webhooks: () => request<{ endpoints: ReadonlyArray<WebhookEndpoint> }>("GET", "/v1/webhooks"),
  deliveries: (endpointId: string) =>
    request<{ deliveries: ReadonlyArray<WebhookDelivery> }>(
      "GET",
      `/v1/webhooks/${encodeURIComponent(endpointId)}/deliveries`,
      { query: { limit: 50 } },
    ),
  audit: () => request<AuditReport>("GET", "/v1/audit"),
}
