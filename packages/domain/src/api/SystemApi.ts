import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "effect/http-api"
import * as Schema from "effect/Schema"
import * as Examples from "../TallyApiExamples.ts"
import { withExample } from "./ApiSupport.ts"

/** 503 from `/health`: the database does not answer. */
export class Unhealthy extends Schema.TaggedError<Unhealthy>()(
  "Unhealthy",
  { message: Schema.String, storage: Schema.String, database: Schema.Literal("down") },
  { httpApiStatus: 503 },
) {}

export const HealthResponse = withExample(
  Schema.Struct({
    status: Schema.Literal("ok"),
    storage: Schema.String,
    database: Schema.Literal("up"),
  }),
  Examples.health,
)

export class SystemGroup extends HttpApiGroup.make("system", { topLevel: true })
  .add(
    HttpApiEndpoint.get("health", "/health", { success: HealthResponse, error: Unhealthy }).annotateMerge(
      OpenApi.annotations({ summary: "Whether the service and its database answer" }),
    ),
  )
  .annotateMerge(OpenApi.annotations({ title: "System", description: "The service's health" })) {}
