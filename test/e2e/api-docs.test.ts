import { TallyApi } from "@tally/domain"
import { Schema } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { request, type Service, startService } from "./TallyProcess.ts"

/**
 * The API reference as a user meets it on `/docs`: the page (Scalar) builds every request it offers
 * from `/openapi.json`, so each operation's example request, taken from the document as it stands,
 * must be one the service accepts; the answers it shows come from the examples of the success schemas,
 * so each must be an answer the service could give; auth is the Bearer token the service checks.
 */

type Json = Record<string, unknown>
interface Parameter {
  readonly name: string
  readonly in: "path" | "query" | "header"
  readonly required?: boolean
  readonly schema: Json
}
interface Operation {
  readonly operationId: string
  readonly tags?: ReadonlyArray<string>
  readonly parameters?: ReadonlyArray<Parameter>
  readonly requestBody?: { readonly content: Record<string, { readonly schema: Json }> }
  readonly responses: Record<string, { readonly content?: Record<string, { readonly schema: Json }> }>
}

let service: Service
let spec: Json

beforeAll(async () => {
  service = await startService({}, ["--memory"])
  spec = (await request(`${service.url}/openapi.json`)).body as Json
})

afterAll(async () => {
  expect(await service?.stop("SIGTERM")).toBe(0)
})

/** Follows a `$ref` into `components`. */
const resolve = (schema: Json): Json => {
  const ref = schema.$ref
  if (typeof ref !== "string") return schema
  const name = ref.replace("#/components/schemas/", "")
  return resolve((spec.components as { schemas: Record<string, Json> }).schemas[name]!)
}

const exampleOf = (schema: Json): unknown => {
  const examples = resolve(schema).examples
  return Array.isArray(examples) ? examples[0] : undefined
}

const operations = () =>
  Object.entries(spec.paths as Record<string, Record<string, Operation>>).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({ path, method: method.toUpperCase(), operation })),
  )

/** The request the docs page generates for an operation: every parameter and the body from their examples. */
const exampleRequest = (path: string, method: string, operation: Operation) => {
  const missing: Array<string> = []
  let url = path
  const query = new URLSearchParams()
  const headers: Record<string, string> = {}
  for (const parameter of operation.parameters ?? []) {
    const example = exampleOf(parameter.schema)
    if (example === undefined) {
      if (parameter.in === "path" || parameter.required) missing.push(`${parameter.in} ${parameter.name}`)
      continue
    }
    if (parameter.in === "path") url = url.replace(`{${parameter.name}}`, encodeURIComponent(String(example)))
    else if (parameter.in === "query") query.set(parameter.name, String(example))
    else headers[parameter.name] = String(example)
  }
  const json = operation.requestBody?.content["application/json"]
  const body = json === undefined ? undefined : exampleOf(json.schema)
  if (json !== undefined && body === undefined) missing.push("body")
  const search = query.size === 0 ? "" : `?${query}`
  return { url: `${url}${search}`, method, headers, body, missing }
}

/** Decodes an example answer with the endpoint's own success schema, as a client derived from `TallyApi` would. */
const decodeAnswer = (operationId: string, example: unknown) => {
  const [group, name] = (operationId.includes(".") ? operationId.split(".") : ["system", operationId]) as [
    string,
    string,
  ]
  const groups = TallyApi.groups as unknown as Record<
    string,
    { readonly endpoints: Record<string, { readonly success: ReadonlyArray<Schema.Top> }> }
  >
  const [success] = groups[group]!.endpoints[name]!.success
  const decode = Schema.decodeUnknownSync(success as Schema.Codec<unknown, unknown>)
  // A write's answer is its body and its `Idempotent-Replayed` header: the example is the body.
  const isWithHeaders = (() => {
    try {
      decode({ body: example, headers: {} })
      return true
    } catch {
      return false
    }
  })()
  return isWithHeaders ? undefined : decode(example)
}

describe("the API reference (/openapi.json, /docs)", () => {
  it("declares Bearer auth as OpenAPI spells it, and the docs page offers it first", async () => {
    const schemes = (spec.components as { securitySchemes: Record<string, Json> }).securitySchemes
    expect(Object.keys(schemes)).toEqual(["bearer"])
    expect(schemes.bearer).toMatchObject({ type: "http", scheme: "bearer" })
    const page = await request(`${service.url}/docs`)
    expect(page.text).toContain('"preferredSecurityScheme":"bearer"')
  })

  it("names every group's tag in the same case", () => {
    const tags = (spec.tags as ReadonlyArray<{ readonly name: string }>).map((tag) => tag.name)
    expect(tags.filter((tag) => tag[0] !== tag[0]!.toUpperCase())).toEqual([])
  })

  it("gives every operation an example request the service accepts as it stands", async () => {
    const refused: Array<string> = []
    for (const { path, method, operation } of operations()) {
      const sent = exampleRequest(path, method, operation)
      expect(sent.missing, `${operation.operationId}: parameters or body without an example`).toEqual([])
      const answer = await request(`${service.url}${sent.url}`, {
        method: sent.method,
        headers: sent.headers,
        ...(sent.body === undefined ? {} : { body: sent.body }),
      })
      if (answer.status === 400 || answer.status === 415 || answer.status >= 500) {
        refused.push(`${operation.operationId} ${method} ${sent.url}: ${answer.status} ${answer.text}`)
      }
    }
    expect(refused).toEqual([])
  })

  it("shows sample answers that decode as answers, with no id or amount at the integer bounds", () => {
    const atBounds: Array<string> = []
    for (const { operation } of operations()) {
      for (const [status, response] of Object.entries(operation.responses)) {
        if (!status.startsWith("2")) continue
        const schema = response.content?.["application/json"]?.schema
        if (schema === undefined) continue
        const example = exampleOf(schema)
        if (example === undefined) atBounds.push(`${operation.operationId}: no example answer`)
        else if (/9007199254740991/.test(JSON.stringify(example))) atBounds.push(`${operation.operationId}`)
        else expect(() => decodeAnswer(operation.operationId, example), operation.operationId).not.toThrow()
      }
    }
    expect(atBounds).toEqual([])
  })
})
