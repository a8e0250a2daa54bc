import { DeliveriesRequest, type WebhookDelivery, WebhookEndpointRequest, Webhooks } from "@tally/domain"
import { Effect } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { json, memory } from "./CommandFlags.ts"
import { noInput, present, run, validate } from "./CommandRun.ts"

const endpointId = Argument.String("endpoint").pipe(Argument.withDescription("The endpoint id (we_...)"))

const createWebhook = Command.make(
  "create",
  {
    url: Argument.String("url").pipe(Argument.withDescription("Where to post events (http or https)")),
    secret: Flag.String("secret").pipe(
      Flag.withDescription("The signing secret (16 to 255 printable characters); generated when left out"),
      Flag.optional,
    ),
    memory,
    json,
  },
  (flags) =>
    run(
      flags,
      validate(WebhookEndpointRequest)({ url: flags.url, ...present("secret", flags.secret) }),
      (request) => Webhooks.use((webhooks) => webhooks.create(request)),
      (endpoint) => `${endpoint.id}  ${endpoint.url}\nsigning secret (shown once): ${endpoint.secret}`,
    ),
).pipe(Command.withDescription("Add a webhook endpoint; prints its signing secret once"))

const listWebhooks = Command.make("list", { memory, json }, (flags) =>
  run(
    flags,
    noInput,
    () => Webhooks.use((webhooks) => Effect.map(webhooks.list, (endpoints) => ({ endpoints }))),
    ({ endpoints }) =>
      endpoints.length === 0
        ? "no webhook endpoints"
        : endpoints.map((e) => `${e.id}  ${e.url}  (since ${e.createdAt})`).join("\n"),
  ),
).pipe(Command.withDescription("List the webhook endpoints"))

const deleteWebhook = Command.make("delete", { endpointId, memory, json }, (flags) =>
  run(
    flags,
    validate(DeliveriesRequest.fields.endpointId)(flags.endpointId),
    (id) => Webhooks.use((webhooks) => webhooks.remove(id)).pipe(Effect.as({ id, deleted: true })),
    ({ id }) => `deleted ${id}`,
  ),
).pipe(Command.withDescription("Remove a webhook endpoint and its deliveries"))

const describeDelivery = (delivery: WebhookDelivery) =>
  [
    `event #${delivery.eventId} ${delivery.eventType}: ${delivery.status}`,
    delivery.nextAttemptAt === null ? "" : ` (next attempt ${delivery.nextAttemptAt})`,
    ...delivery.attempts.map(
      (a) =>
        `\n  attempt ${a.attempt} at ${a.attemptedAt}: ${a.statusCode === null ? (a.error ?? "no answer") : `HTTP ${a.statusCode}`} in ${a.durationMs} ms`,
    ),
  ].join("")

const webhookDeliveries = Command.make(
  "deliveries",
  {
    endpointId,
    limit: Flag.Int("limit").pipe(Flag.withDescription("Deliveries to show, newest first"), Flag.optional),
    memory,
    json,
  },
  (flags) =>
    run(
      flags,
      validate(DeliveriesRequest)({ endpointId: flags.endpointId, ...present("limit", flags.limit) }),
      (request) =>
        Webhooks.use((webhooks) => Effect.map(webhooks.deliveries(request), (deliveries) => ({ deliveries }))),
      ({ deliveries }) => (deliveries.length === 0 ? "no deliveries yet" : deliveries.map(describeDelivery).join("\n")),
    ),
).pipe(Command.withDescription("Show an endpoint's deliveries and their attempts"))

export const webhooks = Command.make("webhooks").pipe(
  Command.withDescription("Manage webhook endpoints: create, list, delete, deliveries"),
  Command.withSubcommands([createWebhook, listWebhooks, deleteWebhook, webhookDeliveries]),
)
