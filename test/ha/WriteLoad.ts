import type { Entry } from "@tally/domain"

/**
 * Clients writing to Tally over HTTP as careful callers do. A write with an idempotency key whose
 * answer is not final (a 503, a 500, a broken connection, no answer in time) is sent again with the
 * same key and body until Tally answers it for good. A write without a key is sent again only when
 * Tally said nothing was written; any other non-final answer leaves its outcome unknown to the
 * caller, who stops there. Every attempt and its answer is kept, so the history can be checked
 * against the ledger afterwards.
 */

export type WireEntry = typeof Entry.Encoded

export type Write =
  | {
      readonly kind: "top-up"
      readonly accountId: string
      /** Names the write in the history; sent as its idempotency key when `keyed`. */
      readonly id: string
      readonly keyed: boolean
      readonly amount: number
      readonly ceiling: number
    }
  | {
      readonly kind: "spend"
      readonly accountId: string
      /** Names the write in the history; sent as its idempotency key when `keyed`. */
      readonly id: string
      readonly keyed: boolean
      readonly amount: number
      readonly mode: "exact" | "available"
    }

/** What one attempt of a write was told. */
export type Answer =
  /** 200: the entry, first written now or replayed. Final. */
  | { readonly _tag: "Landed"; readonly entry: WireEntry; readonly replayed: boolean }
  /** 409 with a rule rejection: nothing written, and retrying would answer the same. Final. */
  | { readonly _tag: "Refused"; readonly error: string }
  /** 503 `LedgerUnavailable`: Tally says nothing was written. Retried. */
  | { readonly _tag: "NothingWritten" }
  /**
   * No answer, a broken connection, a 500 or any other 503: the write may or may not have landed.
   * Retried with a key; final without one.
   */
  | { readonly _tag: "Unknown"; readonly reason: string }
  /** Anything else (400, `IdempotencyConflict`...): a defect for these well-formed retries. Final. */
  | { readonly _tag: "Unexpected"; readonly status: number; readonly body: string }

export interface Attempt {
  readonly sentAtMs: number
  readonly answeredAtMs: number
  /** The HTTP status, or null when no response came. */
  readonly status: number | null
  readonly tag: string | null
  readonly retryAfter: string | null
  readonly answer: Answer
}

export interface WriteRecord {
  readonly write: Write
  readonly attempts: ReadonlyArray<Attempt>
  /** The answer that ended the retries; undefined when the write was never answered for good. */
  readonly final: Answer | undefined
}

export const Limits = {
  /** A write retried for this long without a final answer is reported unresolved. */
  writeDeadlineMs: 120_000,
  /** One attempt waits this long for its answer, then counts as a broken connection. */
  attemptTimeoutMs: 30_000,
  /** First retry delay when Tally gives no Retry-After; doubles per attempt up to the maximum. */
  retryDelayMinMs: 50,
  retryDelayMaxMs: 1_000,
  /** A Retry-After hint is honoured up to this long. */
  retryAfterMaxMs: 5_000,
  /** A failover finishes long before this many seconds of waiting for writes to resume. */
  progressDeadlineMs: 180_000,
} as const

const ruleRejections = new Set(["BalanceAtCeiling", "InsufficientCredits", "BalanceLimitExceeded"])

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const answerOf = (
  status: number,
  body: { _tag?: string; entry?: WireEntry } | null,
  text: string,
  replayed: boolean,
): Answer => {
  if (status === 200 && body?.entry !== undefined) return { _tag: "Landed", entry: body.entry, replayed }
  if (status === 409 && ruleRejections.has(body?._tag ?? "")) return { _tag: "Refused", error: body!._tag! }
  if (status === 503 && body?._tag === "LedgerUnavailable") return { _tag: "NothingWritten" }
  if (status === 503 || status === 500)
    return { _tag: "Unknown", reason: `${status} ${body?._tag ?? text.slice(0, 80)}` }
  return { _tag: "Unexpected", status, body: text.slice(0, 500) }
}

const send = async (baseUrl: string, write: Write): Promise<Attempt> => {
  const path = write.kind === "top-up" ? "top-ups" : "spends"
  const body =
    write.kind === "top-up"
      ? { amount: write.amount, ceiling: write.ceiling }
      : { amount: write.amount, mode: write.mode }
  const sentAtMs = Date.now()
  try {
    const response = await fetch(`${baseUrl}/v1/accounts/${write.accountId}/${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(write.keyed ? { "idempotency-key": write.id } : {}) },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(Limits.attemptTimeoutMs),
    })
    const text = await response.text()
    let parsed: { _tag?: string; entry?: WireEntry } | null = null
    try {
      parsed = JSON.parse(text)
    } catch {}
    const replayed = response.headers.get("idempotent-replayed") === "true"
    return {
      sentAtMs,
      answeredAtMs: Date.now(),
      status: response.status,
      tag: parsed?._tag ?? null,
      retryAfter: response.headers.get("retry-after"),
      answer: answerOf(response.status, parsed, text, replayed),
    }
  } catch (error) {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
    return {
      sentAtMs,
      answeredAtMs: Date.now(),
      status: null,
      tag: null,
      retryAfter: null,
      answer: { _tag: "Unknown", reason },
    }
  }
}

const retryDelayMs = (attempt: Attempt, attemptsSoFar: number) => {
  const hintS = attempt.retryAfter === null ? Number.NaN : Number(attempt.retryAfter)
  if (Number.isFinite(hintS) && hintS >= 0) return Math.min(hintS * 1000, Limits.retryAfterMaxMs)
  const ceilingMs = Math.min(Limits.retryDelayMinMs * 2 ** attemptsSoFar, Limits.retryDelayMaxMs)
  return ceilingMs / 2 + (Math.random() * ceilingMs) / 2
}

/** Tally decided the write: it landed, or the rules refused it. */
export const isAnswered = (answer: Answer) => answer._tag === "Landed" || answer._tag === "Refused"

const isFinal = (write: Write, answer: Answer) =>
  answer._tag === "Landed" ||
  answer._tag === "Refused" ||
  answer._tag === "Unexpected" ||
  (answer._tag === "Unknown" && !write.keyed)

/** Sends a write until its answer is final for its caller, or its deadline passes. */
export const settle = async (baseUrl: string, write: Write, onAnswered: () => void): Promise<WriteRecord> => {
  const attempts: Array<Attempt> = []
  const deadlineMs = Date.now() + Limits.writeDeadlineMs
  while (Date.now() < deadlineMs) {
    const attempt = await send(baseUrl, write)
    attempts.push(attempt)
    if (isFinal(write, attempt.answer)) {
      if (isAnswered(attempt.answer)) onAnswered()
      return { write, attempts, final: attempt.answer }
    }
    await sleep(retryDelayMs(attempt, attempts.length))
  }
  return { write, attempts, final: undefined }
}

export interface LoadOptions {
  /** The Tally processes; client i writes to `urls[i % urls.length]`. */
  readonly urls: ReadonlyArray<string>
  readonly accounts: ReadonlyArray<string>
  readonly clients: number
  /** Makes write ids, and so keys, unique to one run of the suite. */
  readonly idPrefix: string
}

/**
 * Writes sent without an idempotency key: enough to meet a lost commit now and then, so that a
 * write Tally runs twice, or says it did not write, shows up as an entry nobody was told about.
 */
const unkeyedShare = 1 / 8

/**
 * Top-ups with ceilings and spends, half of each, on random accounts: top-ups of 1..500 under a
 * ceiling of 2,000 to 10,000 (so some clamp and some are refused at the ceiling), spends of 1..400
 * taking the exact amount or what is available (so some are refused for want of credits); one in
 * eight without an idempotency key.
 */
export const randomWrite = (options: LoadOptions, client: number, sequence: number): Write => {
  const accountId = options.accounts[Math.floor(Math.random() * options.accounts.length)]!
  const id = `${options.idPrefix}-c${client}-${sequence}`
  const keyed = Math.random() >= unkeyedShare
  if (Math.random() < 0.5) {
    return {
      kind: "top-up",
      accountId,
      id,
      keyed,
      amount: 1 + Math.floor(Math.random() * 500),
      ceiling: 2_000 * (1 + Math.floor(Math.random() * 5)),
    }
  }
  const mode = Math.random() < 0.25 ? "available" : "exact"
  return { kind: "spend", accountId, id, keyed, amount: 1 + Math.floor(Math.random() * 400), mode }
}

export interface Load {
  /** Writes Tally decided so far (landed or refused by the rules). */
  readonly answered: () => number
  /** Resolves once Tally has decided `count` more writes than now. */
  readonly progress: (count: number) => Promise<void>
  /** Lets every client finish the write it is on, then resolves with the whole history. */
  readonly stop: () => Promise<LoadHistory>
}

export interface LoadHistory {
  readonly records: ReadonlyArray<WriteRecord>
  readonly startedAtMs: number
  readonly stoppedAtMs: number
}

/** Starts `clients` closed-loop clients; each sends its next write once the previous one is final. */
export const startLoad = (options: LoadOptions): Load => {
  const records: Array<WriteRecord> = []
  let answered = 0
  let stopping = false
  const startedAtMs = Date.now()
  const client = async (index: number) => {
    const url = options.urls[index % options.urls.length]!
    for (let sequence = 0; !stopping; sequence++) {
      records.push(await settle(url, randomWrite(options, index, sequence), () => answered++))
    }
  }
  const clients = Array.from({ length: options.clients }, (_, index) => client(index))

  const progress = async (count: number) => {
    const target = answered + count
    const deadlineMs = Date.now() + Limits.progressDeadlineMs
    while (answered < target) {
      if (Date.now() > deadlineMs) {
        throw new Error(`writes stalled: ${answered} answered, waited ${Limits.progressDeadlineMs} ms for ${target}`)
      }
      await sleep(50)
    }
  }

  const stop = async () => {
    stopping = true
    await Promise.all(clients)
    return { records, startedAtMs, stoppedAtMs: Date.now() }
  }

  return { answered: () => answered, progress, stop }
}
