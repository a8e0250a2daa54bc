import {
  type ClaimedDelivery,
  type DeliveryAttempt,
  type WebhookDelivery,
  type WebhookEndpoint,
  WebhookEndpointLimitReached,
  WebhookStore,
} from "@tally/domain/core"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { SqlClient } from "effect/sql"
import * as PgEvents from "./PgEvents.ts"
import { defaults, type Options, readWithRetry, retrySchedule } from "./PgLedgerStore.ts"
import * as PgRequestDeadline from "./PgRequestDeadline.ts"

/**
 * Webhook endpoints and deliveries in PostgreSQL (migration `5_webhooks`). Several processes share
 * the work: queueing locks each endpoint with `FOR UPDATE SKIP LOCKED` (one process queues an
 * endpoint's new events at a time, the others pass it by), and a claim takes due deliveries with
 * `FOR UPDATE SKIP LOCKED` and pushes their next attempt out by a lease in the same statement, so
 * each due delivery goes to one process at a time. Every operation is safe to run again after a lost
 * connection: queueing skips what is queued, a repeated claim's first claims lapse with their lease,
 * and a try is recorded once.
 */

const iso = (ms: number) => new Date(ms).toISOString()

/** A claimed delivery: its endpoint and claim count, and its event's own columns. */
interface ClaimRow extends PgEvents.EventRow {
  readonly endpoint_id: string
  readonly claims: number
  readonly queued_at: Date
  readonly url: string
  readonly secret: string
}

interface DeliveryRow {
  readonly endpoint_id: string
  readonly event_id: bigint
  readonly type: WebhookDelivery["eventType"]
  readonly status: WebhookDelivery["status"]
  readonly created_at: Date
  readonly next_attempt_at: Date | null
  readonly attempts: ReadonlyArray<{
    readonly attempt: number
    readonly attempted_at: string
    readonly duration_ms: number
    readonly status_code: number | null
    readonly error: string | null
  }>
}

export const make = (options: Options = defaults) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const retried = readWithRetry(retrySchedule(options), options, PgRequestDeadline.gateOf(sql))

    const create = (endpoint: Parameters<WebhookStore["Service"]["create"]>[0], endpointsMax: number) =>
      retried(
        Effect.gen(function* () {
          const head = yield* PgEvents.head(sql)
          const inserted = yield* sql<{ readonly id: string }>`
            INSERT INTO webhook_endpoints (id, url, secret, created_at, after_event_id)
            SELECT ${endpoint.id}, ${endpoint.url}, ${endpoint.secret}, ${endpoint.createdAt}::timestamptz, ${BigInt(head)}
            WHERE (SELECT count(*) FROM webhook_endpoints) < ${endpointsMax}::int
            ON CONFLICT (id) DO NOTHING
            RETURNING id`
          if (inserted.length > 0) return endpoint
          // Its id taken: a retry of a keyed creation, answered with what the first stored.
          const [stored] = yield* sql<{ readonly url: string; readonly secret: string; readonly created_at: Date }>`
            SELECT url, secret, created_at FROM webhook_endpoints WHERE id = ${endpoint.id}`
          return stored === undefined
            ? undefined
            : { id: endpoint.id, url: stored.url, secret: stored.secret, createdAt: stored.created_at.toISOString() }
        }).pipe(sql.withTransaction),
      ).pipe(
        Effect.flatMap((created) =>
          created !== undefined
            ? Effect.succeed(created)
            : Effect.fail(new WebhookEndpointLimitReached({ endpointsMax })),
        ),
      )

    const list = retried(
      sql<{ readonly id: string; readonly url: string; readonly created_at: Date }>`
        SELECT id, url, created_at FROM webhook_endpoints ORDER BY created_at, id`,
    ).pipe(
      Effect.map((rows) =>
        rows.map((row): WebhookEndpoint => ({ id: row.id, url: row.url, createdAt: row.created_at.toISOString() })),
      ),
    )

    const remove = (endpointId: string) =>
      retried(sql`DELETE FROM webhook_endpoints WHERE id = ${endpointId} RETURNING id`).pipe(
        Effect.map((rows) => rows.length > 0),
      )

    const deliveries = (endpointId: string, limit: number) =>
      retried(
        Effect.gen(function* () {
          const [endpoint] = yield* sql`SELECT id FROM webhook_endpoints WHERE id = ${endpointId}`
          if (endpoint === undefined) return undefined
          const rows = yield* sql<DeliveryRow>`
            SELECT d.endpoint_id, d.event_id, e.type, d.status, d.created_at, d.next_attempt_at,
                   COALESCE((SELECT jsonb_agg(a ORDER BY a.attempt) FROM (
                     SELECT attempt, attempted_at, duration_ms, status_code, error FROM webhook_attempts
                     WHERE endpoint_id = d.endpoint_id AND event_id = d.event_id) a), '[]') AS attempts
            FROM webhook_deliveries d JOIN events e ON e.id = d.event_id
            WHERE d.endpoint_id = ${endpointId}
            ORDER BY d.event_id DESC LIMIT ${limit}::int`
          return rows.map(
            (row): WebhookDelivery => ({
              endpointId: row.endpoint_id,
              eventId: Number(row.event_id),
              eventType: row.type,
              status: row.status,
              createdAt: row.created_at.toISOString(),
              nextAttemptAt: row.next_attempt_at?.toISOString() ?? null,
              attempts: row.attempts.map(
                (a): DeliveryAttempt => ({
                  attempt: a.attempt,
                  attemptedAt: new Date(a.attempted_at).toISOString(),
                  durationMs: a.duration_ms,
                  statusCode: a.status_code,
                  error: a.error,
                }),
              ),
            }),
          )
        }).pipe(sql.withTransaction),
      )

    /** Each endpoint's new events become deliveries, under the endpoint's row lock, skipping locked ones. */
    const enqueue = (nowMs: number, eventsMax: number) =>
      retried(
        Effect.gen(function* () {
          const endpoints = yield* sql<{ readonly id: string; readonly after_event_id: bigint }>`
            SELECT id, after_event_id FROM webhook_endpoints ORDER BY id FOR UPDATE SKIP LOCKED`
          let queued = 0
          for (const endpoint of endpoints) {
            const events = (yield* PgEvents.read(sql, Number(endpoint.after_event_id), eventsMax)) ?? []
            const last = events[events.length - 1]
            if (last === undefined) continue
            yield* sql`
              INSERT INTO webhook_deliveries (endpoint_id, event_id, status, created_at, next_attempt_at)
              SELECT ${endpoint.id}, id, 'pending', ${iso(nowMs)}::timestamptz, ${iso(nowMs)}::timestamptz
              FROM unnest(${events.map((e) => BigInt(e.id))}::bigint[]) AS x(id)
              ON CONFLICT DO NOTHING`
            yield* sql`UPDATE webhook_endpoints SET after_event_id = ${BigInt(last.id)} WHERE id = ${endpoint.id}`
            queued += events.length
          }
          return queued
        }).pipe(sql.withTransaction),
      )

    /**
     * Each endpoint's earliest due deliveries, as many as its share leaves room for (an index scan of
     * `webhook_deliveries_due_by_endpoint` each, locking them, skipping those another claim holds), then
     * the earliest `max` of them: an endpoint with a backlog is passed over once its share is taken, not
     * read through. Rows locked but not among the `max` are only skipped by other claims until this
     * statement ends. With a backlog of 20,000 due deliveries on an endpoint at its share, a claim of
     * another's 8 took 2 ms.
     */
    const claim: WebhookStore["Service"]["claim"] = (nowMs, leaseMs, max, perEndpoint) =>
      retried(sql<ClaimRow>`
        WITH held AS (
          SELECT * FROM unnest(${[...(perEndpoint?.inFlight.keys() ?? [])]}::text[],
                               ${[...(perEndpoint?.inFlight.values() ?? [])]}::int[]) AS h(endpoint_id, deliveries)
        ), due AS (
          SELECT d.endpoint_id, d.event_id, d.next_attempt_at AS due_at
          FROM webhook_endpoints w
          LEFT JOIN held h ON h.endpoint_id = w.id
          CROSS JOIN LATERAL (
            SELECT endpoint_id, event_id, next_attempt_at FROM webhook_deliveries
            WHERE endpoint_id = w.id AND status = 'pending' AND next_attempt_at <= ${iso(nowMs)}::timestamptz
            ORDER BY next_attempt_at, event_id
            LIMIT greatest(least(${max}::int, ${perEndpoint?.max ?? max}::int - coalesce(h.deliveries, 0)), 0)
            FOR UPDATE SKIP LOCKED
          ) d
          ORDER BY d.next_attempt_at, d.event_id LIMIT ${max}::int
        ), claimed AS (
          UPDATE webhook_deliveries d
          SET claims = d.claims + 1, next_attempt_at = ${iso(nowMs + leaseMs)}::timestamptz
          FROM due WHERE d.endpoint_id = due.endpoint_id AND d.event_id = due.event_id
          RETURNING d.endpoint_id, d.event_id, d.claims, d.created_at, due.due_at
        )
        SELECT c.endpoint_id, c.claims, c.created_at AS queued_at, w.url, w.secret,
               e.id, e.type, e.account_id, e.data, e.created_at
        FROM claimed c
        JOIN webhook_endpoints w ON w.id = c.endpoint_id
        JOIN events e ON e.id = c.event_id
        ORDER BY c.due_at, c.event_id`).pipe(
        Effect.map((rows) =>
          rows.map(
            (row): ClaimedDelivery => ({
              endpointId: row.endpoint_id,
              url: row.url,
              secret: row.secret,
              event: PgEvents.eventOf(row),
              attempt: row.claims,
              queuedAtMs: row.queued_at.getTime(),
            }),
          ),
        ),
      )

    const record: WebhookStore["Service"]["record"] = (result) => {
      const status =
        result.next._tag === "Delivered" ? "delivered" : result.next._tag === "Retry" ? "pending" : "failed"
      const nextAttemptAt = result.next._tag === "Retry" ? iso(result.next.atMs) : null
      return retried(sql`
        WITH attempt AS (
          INSERT INTO webhook_attempts (endpoint_id, event_id, attempt, attempted_at, duration_ms, status_code, error)
          SELECT endpoint_id, event_id, ${result.attempt}::int, ${iso(result.attemptedAtMs)}::timestamptz,
                 ${result.durationMs}::int, ${result.statusCode}::int, ${result.error}::text
          FROM webhook_deliveries WHERE endpoint_id = ${result.endpointId} AND event_id = ${BigInt(result.eventId)}
          ON CONFLICT DO NOTHING
        )
        UPDATE webhook_deliveries SET status = ${status}, next_attempt_at = ${nextAttemptAt}::timestamptz
        WHERE endpoint_id = ${result.endpointId} AND event_id = ${BigInt(result.eventId)}
          AND claims = ${result.attempt}::int AND status = 'pending'`).pipe(Effect.asVoid)
    }

    return WebhookStore.of({ create, list, remove, deliveries, enqueue, claim, record })
  })

export const layer = (options: Options = defaults) => Layer.effect(WebhookStore, make(options))
