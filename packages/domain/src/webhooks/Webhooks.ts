import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import { Mac, SecureRandom } from "effect/crypto"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { type InvalidRequest, type LedgerUnavailable, validateRequest } from "../LedgerError.ts"
import { Limits } from "../Limits.ts"
import { DeliveriesRequest, type WebhookDelivery } from "./WebhookDelivery.ts"
import {
  type CreatedWebhookEndpoint,
  CreateWebhookRequest,
  type WebhookEndpoint,
  type WebhookEndpointLimitReached,
  WebhookEndpointNotFound,
  WebhookIdempotencyConflict,
} from "./WebhookEndpoint.ts"
import { hex } from "./WebhookSignature.ts"
import { WebhookStore } from "./WebhookStore.ts"

const validate = validateRequest

/** Bytes of randomness in a generated secret: 256 bits, the HMAC-SHA256 key size. */
const secretBytes = 32

/** An endpoint as created, and whether it was created by an earlier request with the same key. */
export type CreatedWebhook = CreatedWebhookEndpoint & { readonly replayed: boolean }

const utf8 = new TextEncoder()
/** Keys the digest that turns an idempotency key into an endpoint id; not a secret, only a namespace. */
const endpointIdKey = Mac.key(Mac.hmacSha256, utf8.encode("tally webhook endpoint id"))

/**
 * The id of the endpoint a keyed request creates: 128 bits of an HMAC-SHA256 of the key, so a retry
 * names the same endpoint and two keys never share one; without a key, random.
 */
const endpointIdOf = (
  idempotencyKey: string | undefined,
  random: SecureRandom.SecureRandom["Service"],
  mac: Mac.Mac["Service"],
) =>
  Effect.gen(function* () {
    if (idempotencyKey === undefined) return `we_${hex(yield* random.randomBytes(16))}`
    const digest = yield* mac.sign(yield* endpointIdKey, utf8.encode(idempotencyKey))
    return `we_${hex(digest.subarray(0, 16))}`
  }).pipe(Effect.orDie)

/** Whether an endpoint found under a request's id is what the request asks for: its retry. */
const sameRequest = (stored: CreatedWebhookEndpoint, request: CreateWebhookRequest) =>
  stored.url === request.url && (request.secret === undefined || request.secret === stored.secret)

/**
 * Webhook endpoints: configured by URL, each with a secret that signs its deliveries, and the
 * deliveries with their attempts. Ids and secrets come from `SecureRandom` (a keyed creation's id from
 * `Mac`), times from `Clock`.
 */
export class Webhooks extends Context.Service<
  Webhooks,
  {
    /** The endpoint created, or with a key used before for the same URL (and secret), the one it created. */
    readonly create: (
      request: typeof CreateWebhookRequest.Encoded,
    ) => Effect.Effect<
      CreatedWebhook,
      InvalidRequest | WebhookEndpointLimitReached | WebhookIdempotencyConflict | LedgerUnavailable
    >
    readonly list: Effect.Effect<ReadonlyArray<WebhookEndpoint>, LedgerUnavailable>
    readonly remove: (
      endpointId: string,
    ) => Effect.Effect<void, InvalidRequest | WebhookEndpointNotFound | LedgerUnavailable>
    readonly deliveries: (
      request: typeof DeliveriesRequest.Encoded,
    ) => Effect.Effect<ReadonlyArray<WebhookDelivery>, InvalidRequest | WebhookEndpointNotFound | LedgerUnavailable>
  }
>()("@tally/domain/Webhooks") {
  static readonly make = Effect.gen(function* () {
    const store = yield* WebhookStore
    const random = yield* SecureRandom.SecureRandom
    const mac = yield* Mac.Mac

    const create = Effect.fn("Webhooks.create")(function* (input: typeof CreateWebhookRequest.Encoded) {
      const request = yield* validate(CreateWebhookRequest)(input)
      const id = yield* endpointIdOf(request.idempotencyKey, random, mac)
      const secret = request.secret ?? `whsec_${hex(yield* random.randomBytes(secretBytes))}`
      const createdAt = new Date(yield* Clock.currentTimeMillis).toISOString()
      const stored = yield* store.create({ id, url: request.url, secret, createdAt }, Limits.webhookEndpointsMax)
      const { idempotencyKey } = request
      if (idempotencyKey === undefined || (stored.secret === secret && stored.createdAt === createdAt)) {
        return { ...stored, replayed: false }
      }
      if (sameRequest(stored, request)) return { ...stored, replayed: true }
      return yield* new WebhookIdempotencyConflict({ idempotencyKey, endpointId: id })
    })

    const endpointId = (id: string) => validate(DeliveriesRequest.fields.endpointId)(id)

    return Webhooks.of({
      create,
      list: store.list,
      remove: (id) =>
        endpointId(id).pipe(
          Effect.flatMap(store.remove),
          Effect.flatMap((removed) =>
            removed ? Effect.void : Effect.fail(new WebhookEndpointNotFound({ endpointId: id })),
          ),
        ),
      deliveries: (input) =>
        validate(DeliveriesRequest)(input).pipe(
          Effect.flatMap((request) =>
            store.deliveries(request.endpointId, request.limit ?? Limits.webhookDeliveriesPageSizeDefault),
          ),
          Effect.flatMap((deliveries) =>
            deliveries === undefined
              ? Effect.fail(new WebhookEndpointNotFound({ endpointId: input.endpointId }))
              : Effect.succeed(deliveries),
          ),
        ),
    })
  })

  static readonly layer = Layer.effect(Webhooks, Webhooks.make)
}
