import { appendFileSync } from "node:fs"

/** Module hooks that append every module's URL, as it loads, to the file in TALLY_TEST_MODULE_LOG. */
export async function load(url, context, nextLoad) {
  appendFileSync(process.env.TALLY_TEST_MODULE_LOG, `${url}\n`)
  return nextLoad(url, context)
}
