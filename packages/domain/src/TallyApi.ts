import { HttpApi, OpenApi } from "effect/http-api"
import { RequestValidation } from "./api/ApiSupport.ts"
import { LedgerGroup } from "./api/LedgerApi.ts"
import { SystemGroup } from "./api/SystemApi.ts"
import { AutoTopUpGroup } from "./autoTopUp/AutoTopUpApi.ts"
import { CorrectionsGroup } from "./corrections/CorrectionsApi.ts"
import { EventsGroup } from "./events/EventsApi.ts"
import { GrantsGroup } from "./grants/GrantsApi.ts"
import { HistoryGroup } from "./history/HistoryApi.ts"
import { HoldsGroup } from "./holds/HoldsApi.ts"
import { PendingCreditsGroup } from "./pendingCredits/PendingCreditsApi.ts"
import { RefillsGroup } from "./refills/RefillsApi.ts"
import { RunsGroup } from "./runs/RunsApi.ts"
import { WalletsGroup } from "./wallets/WalletsApi.ts"
import { WebhooksGroup } from "./webhooks/WebhooksApi.ts"

/**
 * Effect declares the scheme as "Bearer"; OpenAPI's examples and Scalar's request builder expect the
 * registered lower-case name, and Scalar fell back to `Basic username:password` without it. The service
 * reads the header either way (see `Authorization`).
 */
const bearerAsOpenApiSpellsIt = (spec: Record<string, unknown>): Record<string, unknown> => {
  const components = (spec.components ?? {}) as Record<string, Record<string, unknown> | undefined>
  return {
    ...spec,
    components: {
      ...components,
      securitySchemes: {
        ...components.securitySchemes,
        bearer: {
          type: "http",
          scheme: "bearer",
          bearerFormat: "TALLY_API_TOKEN",
          description: "Required on every /v1 route when the service runs with TALLY_API_TOKEN set",
        },
      },
    },
  }
}

/**
 * Integer path parameters travel as strings, and the document describes that string without the
 * integer's examples: the docs page would send an empty id. Each gets the example of its integer.
 */
const integerPathExamples = (spec: Record<string, unknown>): Record<string, unknown> => {
  const examples: Record<string, string> = { holdId: "1", sequence: "1", requestId: "1", pendingCreditId: "1" }
  type Operation = {
    readonly parameters?: ReadonlyArray<{ readonly name: string; readonly in: string; readonly schema: object }>
  }
  const paths = spec.paths as Record<string, Record<string, Operation>>
  const withExamples = (operation: Operation): Operation => ({
    ...operation,
    ...(operation.parameters === undefined
      ? {}
      : {
          parameters: operation.parameters.map((parameter) =>
            parameter.in === "path" && examples[parameter.name] !== undefined
              ? { ...parameter, schema: { ...parameter.schema, examples: [examples[parameter.name]] } }
              : parameter,
          ),
        }),
  })
  return {
    ...spec,
    paths: Object.fromEntries(
      Object.entries(paths).map(([path, methods]) => [
        path,
        Object.fromEntries(Object.entries(methods).map(([method, operation]) => [method, withExamples(operation)])),
      ]),
    ),
  }
}

/**
 * The HTTP API of the Tally service, defined once: the server implements it, a typed client is
 * derived from it (`HttpApiClient.make(TallyApi)`), and the OpenAPI document is generated from it.
 * Each feature's group lives in its folder; this file composes them.
 * Amounts are JSON integers; every error answers with a JSON body `{ _tag, message, ...values }`.
 */
export class TallyApi extends HttpApi.make("tally")
  .add(LedgerGroup)
  .add(EventsGroup)
  .add(WebhooksGroup)
  .add(HoldsGroup)
  .add(CorrectionsGroup)
  .add(HistoryGroup)
  .add(AutoTopUpGroup)
  .add(RefillsGroup)
  .add(RunsGroup)
  .add(GrantsGroup)
  .add(PendingCreditsGroup)
  .add(WalletsGroup)
  .add(SystemGroup)
  .middleware(RequestValidation)
  .annotate(HttpApi.PayloadParseOptions, { onExcessProperty: "error" })
  // A misspelt filter (`?refrence=`) would otherwise read, or export, every entry.
  .annotate(HttpApi.QueryParseOptions, { onExcessProperty: "error" })
  .annotateMerge(
    OpenApi.annotations({
      title: "Tally",
      version: "0.1.0",
      description:
        "A credit ledger. Amounts are integer credits (JSON integers). Writes accept an Idempotency-Key header; a replay answers with the first response and Idempotent-Replayed: true. Rule rejections answer 409 with { _tag, message, ...values }.",
      transform: (spec) => integerPathExamples(bearerAsOpenApiSpellsIt(spec)),
    }),
  ) {}
