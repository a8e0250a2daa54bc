import { CreateWebhookRequest, DeliveriesRequest, type WebhookDelivery, Webhooks } from "@tally/domain/core"
import type { Command } from "effect/cli"
import * as Effect from "effect/Effect"
import { noInput, present, run, validate } from "./CommandRun.ts"
import type {
  createWebhookFlags,
  deleteWebhookFlags,
  listWebhooksFlags,
  webhookDeliveriesFlags,
} from "./WebhookCommands.ts"

export const createWebhook = (flags: Command.Command.Config.Infer<typeof createWebhookFlags>) =>
  run(
    flags,
    validate(CreateWebhookRequest)({
      url: flags.url,
      ...present("secret", flags.secret),
      ...present("idempotencyKey", flags.key),
    }),
    (request) => Webhooks.use((webhooks) => webhooks.create(request)),
    (endpoint) => `${endpoint.id}  ${endpoint.url}\nsigning secret (shown once): ${endpoint.secret}`,
  )

export const listWebhooks = (flags: Command.Command.Config.Infer<typeof listWebhooksFlags>) =>
  run(
    flags,
    noInput,
    () => Webhooks.use((webhooks) => Effect.map(webhooks.list, (endpoints) => ({ endpoints }))),
    ({ endpoints }) =>
      endpoints.length === 0
        ? "no webhook endpoints"
        : endpoints.map((e) => `${e.id}  ${e.url}  (since ${e.createdAt})`).join("\n"),
  )

export const deleteWebhook = (flags: Command.Command.Config.Infer<typeof deleteWebhookFlags>) =>
  run(
    flags,
    validate(DeliveriesRequest.fields.endpointId)(flags.endpointId),
    (id) => Webhooks.use((webhooks) => webhooks.remove(id)).pipe(Effect.as({ id, deleted: true })),
    ({ id }) => `deleted ${id}`,
  )

const describeDelivery = (delivery: WebhookDelivery) =>
  [
    `event #${delivery.eventId} ${delivery.eventType}: ${delivery.status}`,
    delivery.nextAttemptAt === null ? "" : ` (next attempt ${delivery.nextAttemptAt})`,
    ...delivery.attempts.map(
      (a) =>
        `\n  attempt ${a.attempt} at ${a.attemptedAt}: ${a.statusCode === null ? (a.error ?? "no answer") : `HTTP ${a.statusCode}`} in ${a.durationMs} ms`,
    ),
  ].join("")

export const webhookDeliveries = (flags: Command.Command.Config.Infer<typeof webhookDeliveriesFlags>) =>
  run(
    flags,
    validate(DeliveriesRequest)({ endpointId: flags.endpointId, ...present("limit", flags.limit) }),
    (request) => Webhooks.use((webhooks) => Effect.map(webhooks.deliveries(request), (deliveries) => ({ deliveries }))),
    ({ deliveries }) => (deliveries.length === 0 ? "no deliveries yet" : deliveries.map(describeDelivery).join("\n")),
  )
