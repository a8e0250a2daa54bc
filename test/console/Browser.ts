import { execFileSync } from "node:child_process"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core"

/**
 * Debian's Chromium driven by playwright-core, as an operator's browser: headless, on loopback only.
 * Every request the page makes is checked at the network layer: one to any host but 127.0.0.1 is
 * recorded and aborted, so a test can assert that the console reached nothing else. Every console
 * error and uncaught exception is recorded too.
 */

export const screenshotsDir = Path.resolve(import.meta.dirname, "../../test-results/console")

const chromiumPath = () => {
  try {
    return execFileSync("sh", ["-c", "command -v chromium"], { encoding: "utf8" }).trim()
  } catch {
    throw new Error("the console tests need Debian's chromium: apt-get install chromium (.ci/run installs it)")
  }
}

export const launch = () => chromium.launch({ executablePath: chromiumPath(), headless: true, args: ["--no-sandbox"] })

export interface Watched {
  readonly context: BrowserContext
  /** Requests to anything but 127.0.0.1, each aborted. */
  readonly offHost: Array<string>
  /** Console errors and uncaught exceptions of every page of the context. */
  readonly errors: Array<string>
  /**
   * API answers the browser itself logs as failed resources (a 401, a 409): the console shows them as
   * the API's error, so they are no page error, and a test says which it expected.
   */
  readonly refusals: Array<string>
  /** Every URL the pages requested. */
  readonly requested: Array<string>
  readonly newPage: () => Promise<Page>
}

export const watchedContext = async (
  browser: Browser,
  viewport: { width: number; height: number } = { width: 1280, height: 900 },
): Promise<Watched> => {
  const context = await browser.newContext({ viewport, locale: "en-US", timezoneId: "America/New_York" })
  const offHost: Array<string> = []
  const errors: Array<string> = []
  const requested: Array<string> = []
  const refusals: Array<string> = []
  await context.route("**/*", (route) => {
    const url = route.request().url()
    requested.push(url)
    const { protocol, hostname } = new URL(url)
    if (protocol === "data:" || hostname === "127.0.0.1") return route.continue()
    offHost.push(url)
    return route.abort()
  })
  const newPage = async () => {
    const page = await context.newPage()
    page.on("console", (message) => {
      if (message.type() !== "error") return
      const { url } = message.location()
      const refused = /^Failed to load resource: the server responded with a status of 4\d\d\b/.test(message.text())
      if (refused && new URL(url).pathname.startsWith("/v1/")) refusals.push(`${message.text()} (${url})`)
      else errors.push(`${page.url()}: ${message.text()}`)
    })
    page.on("pageerror", (error) => errors.push(`${page.url()}: ${error.message}`))
    return page
  }
  return { context, offHost, errors, refusals, requested, newPage }
}

export const screenshot = async (page: Page, name: string) => {
  Fs.mkdirSync(screenshotsDir, { recursive: true })
  await page.screenshot({ path: Path.join(screenshotsDir, `${name}.png`), fullPage: true })
}
