import * as Schema from "effect/Schema"
import { Limits } from "./Limits.ts"

/** Caller-defined JSON carried by an entry, never read by Tally. */
export type Metadata = { readonly [key: string]: Schema.Json }

const unpairedSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** PostgreSQL's jsonb refuses NUL characters and unpaired surrogates in strings and keys (text silently mangles them). */
export const storable = (text: string) => !text.includes("\u0000") && !unpairedSurrogate.test(text)

/** A plain object, as JSON.parse makes them: not an array, a Date, a Map... */
const isObject = (value: unknown): value is Record<string, unknown> => {
  if (typeof value !== "object" || value === null) return false
  const prototype = Object.getPrototypeOf(value)
  return prototype === Object.prototype || prototype === null
}

const utf8 = new TextEncoder()
const utf8BytesPerCodeUnitMax = 3

/** An error message names where the problem is, up to this many characters of the path. */
const pathShownMax = 120

/**
 * Why `value` cannot be stored as an entry's metadata, or undefined when it can. It walks the value
 * with a stack of its own, never recursing, so hostile nesting is refused by the depth limit
 * instead of exhausting the call stack; every other limit is checked on the way.
 */
export const metadataProblem = (value: unknown): string | undefined => {
  if (!isObject(value)) return "must be a JSON object"
  let keys = 0
  const pending: Array<{ readonly node: unknown; readonly depth: number; readonly path: string }> = [
    { node: value, depth: 1, path: "" },
  ]
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { node, depth, path } = next
    const at = path === "" ? "" : ` at ${path.length > pathShownMax ? `${path.slice(0, pathShownMax)}...` : path}`
    if (typeof node === "string") {
      if (!storable(node)) return `strings must be valid Unicode without NUL characters${at}`
    } else if (typeof node === "number") {
      if (!Number.isFinite(node)) return `numbers must be finite${at}`
    } else if (node === null || typeof node === "boolean") {
    } else if (depth > Limits.metadataDepthMax) {
      return `nests deeper than ${Limits.metadataDepthMax} levels${at}`
    } else if (Array.isArray(node)) {
      for (const [index, item] of node.entries())
        pending.push({ node: item, depth: depth + 1, path: `${path}[${index}]` })
    } else if (isObject(node)) {
      for (const [key, item] of Object.entries(node)) {
        if (++keys > Limits.metadataKeysMax) return `has more than ${Limits.metadataKeysMax} keys`
        if (!storable(key)) return `keys must be valid Unicode without NUL characters${at}`
        pending.push({ node: item, depth: depth + 1, path: `${path}.${key}` })
      }
    } else {
      return `holds a value that is not JSON${at}`
    }
  }
  const json = JSON.stringify(value)
  // A UTF-16 code unit is at most 3 bytes of UTF-8, so a short text is within the limit unmeasured.
  if (json.length * utf8BytesPerCodeUnitMax <= Limits.metadataBytesMax) return undefined
  const bytes = utf8.encode(json).length
  return bytes > Limits.metadataBytesMax
    ? `must be at most ${Limits.metadataBytesMax} bytes of JSON, not ${bytes}`
    : undefined
}

/**
 * Metadata as the API accepts it: a JSON object within `Limits` that PostgreSQL can store. Its
 * values are decoded as unknown and checked by `metadataProblem`, never by recursive decoding.
 */
export const Metadata = Schema.Record(Schema.String, Schema.Unknown).pipe(
  Schema.check(Schema.makeFilter((value) => metadataProblem(value), { expected: "JSON metadata" }, true)),
  // `metadataProblem` has checked every value: this only narrows the type.
  Schema.refine((_value): _value is Metadata => true),
)

/** Entries that carry no metadata carry this. */
export const noMetadata: Metadata = {}
