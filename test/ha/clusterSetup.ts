import { randomUUID } from "node:crypto"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import type { TestProject } from "vitest/node"
import { logsDir, runScript } from "./HaCluster.ts"

declare module "vitest" {
  export interface ProvidedContext {
    /** The directory of the local HA cluster (`TALLY_HA_DIR` of `scripts/ha/cluster.sh`). */
    haDir: string
  }
}

/**
 * One cluster for the HA suite, brought up with `scripts/ha/cluster.sh up` in a directory of its
 * own and torn down with `down` at the end. The directory is under the system's temporary one: the
 * cluster runs as the `postgres` user, who cannot enter a clone's 0700 parent.
 * Its logs are kept in `.tally-ha-test/`.
 */
const keepLogs = (dir: string) => {
  Fs.mkdirSync(logsDir, { recursive: true })
  for (const name of Fs.readdirSync(dir).filter((file) => file.endsWith(".log"))) {
    Fs.copyFileSync(Path.join(dir, name), Path.join(logsDir, name))
  }
}

export default async function setup(project: TestProject) {
  Fs.rmSync(logsDir, { recursive: true, force: true })
  // Not made by the test: the script makes the cluster's directory itself, as it does for any TALLY_HA_DIR.
  const dir = Path.join(Os.tmpdir(), `tally-ha-${randomUUID()}`)
  const started = Date.now()
  try {
    await runScript(dir, ["up"])
  } catch (error) {
    await runScript(dir, ["down"]).catch(() => undefined)
    throw error
  }
  console.log(`HA cluster up in ${((Date.now() - started) / 1000).toFixed(1)} s in ${dir}`)
  project.provide("haDir", dir)
  return async () => {
    keepLogs(dir)
    await runScript(dir, ["down"])
  }
}
