import { spawn } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { collect, repoRoot } from "./TallyProcess.ts"

/**
 * This repository's working tree copied into a directory only its owner can enter (0700, as
 * `mktemp -d` makes it, and as root's home is), then installed by pnpm from its store, the way a
 * fresh clone in root's home is set up.
 */
export interface PrivateCopy {
  /** The 0700 directory. */
  readonly parent: string
  /** The repository inside it. */
  readonly root: string
  readonly remove: () => void
}

/** What a clone does not have: installed packages, data, build output. */
const notCopied = new Set(["node_modules", ".git", ".tally", ".tally-test", "dist", "coverage"])

export const privateCopy = async (): Promise<PrivateCopy> => {
  const parent = Fs.mkdtempSync(Path.join(Os.tmpdir(), "tally-private-"))
  const root = Path.join(parent, "tally")
  const remove = () => Fs.rmSync(parent, { recursive: true, force: true })
  try {
    await Fs.promises.cp(repoRoot, root, { recursive: true, filter: (source) => !notCopied.has(Path.basename(source)) })
    const install = await collect(
      spawn("pnpm", ["install", "--frozen-lockfile", "--offline"], { cwd: root, stdio: ["ignore", "pipe", "pipe"] }),
    )
    if (install.code !== 0) throw new Error(`pnpm install failed in ${root}:\n${install.stdout}${install.stderr}`)
    return { parent, root, remove }
  } catch (error) {
    remove()
    throw error
  }
}
