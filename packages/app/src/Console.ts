import { fileURLToPath } from "node:url"
import * as Effect from "effect/Effect"
import { HttpRouter, HttpServerResponse } from "effect/http"
import * as Layer from "effect/Layer"
import * as ConsoleBundle from "./ConsoleBundle.ts"

/**
 * The operator's console at `/console`: static files that talk to the public HTTP API only, from
 * the browser, as any caller of it would (the same token, the same cross-site guard). Its policy
 * lets the page run its own script and call its own origin, nothing else: no inline script, no
 * other host, no framing.
 */
export const contentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ")

const contentTypes: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
}

const headers = {
  "content-security-policy": contentSecurityPolicy,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  // Small files, checked again on each load: a new version shows at once.
  "cache-control": "no-cache",
}

/** Built files sit in `dist/console/` beside the built module; from the sources, there are none. */
const builtDir = fileURLToPath(new URL("./console/", import.meta.url))

const load = Effect.promise(async () => (await ConsoleBundle.read(builtDir)) ?? ConsoleBundle.bundle())

const notFound = HttpServerResponse.jsonUnsafe(
  { _tag: "NotFound", message: "no such console file; open /console" },
  { status: 404 },
)

export const routes = Layer.unwrap(
  Effect.gen(function* () {
    const files = yield* Effect.cached(load)
    const serve = (name: string) =>
      Effect.map(files, (all) => {
        const body = all.get(name)
        if (body === undefined) return notFound
        const type = contentTypes[name.slice(name.lastIndexOf(".") + 1)] ?? "application/octet-stream"
        return HttpServerResponse.uint8Array(body, { contentType: type, headers })
      })
    const page = serve("index.html")
    return Layer.mergeAll(
      HttpRouter.add("GET", "/console", page),
      // The router matches paths letter for letter; an operator may well type the slash.
      HttpRouter.add("GET", "/console/", page),
      HttpRouter.add("GET", "/console/:file", (request) =>
        serve(new URL(request.url, "http://console").pathname.slice("/console/".length)),
      ),
    )
  }),
)
