import { tallyScript } from "./Launcher.ts"

/**
 * Where a process's CPU went, from a V8 CPU profile (`node --cpu-prof`): self time per package, per
 * module of Effect, and per function, counted only over a window of the machine's monotonic clock
 * (the clock of the profile's timestamps, and of `process.hrtime`).
 */

interface ProfileNode {
  readonly id: number
  readonly callFrame: {
    readonly functionName: string
    readonly url: string
    readonly lineNumber: number
    readonly columnNumber: number
  }
  readonly children?: ReadonlyArray<number>
}

export interface Profile {
  readonly nodes: ReadonlyArray<ProfileNode>
  readonly startTime: number
  readonly samples: ReadonlyArray<number>
  readonly timeDeltas: ReadonlyArray<number>
}

export interface Share {
  readonly name: string
  readonly selfMs: number
  /** Of the busy time: everything but idle. */
  readonly percent: number
}

export interface FunctionShare extends Share {
  readonly group: string
  readonly location: string
}

export interface ProfileSummary {
  readonly windowMs: number
  readonly busyMs: number
  readonly idleMs: number
  readonly groups: ReadonlyArray<Share>
  readonly effectModules: ReadonlyArray<Share>
  readonly functions: ReadonlyArray<FunctionShare>
}

/** How many of the heaviest functions a summary holds, and how many Effect modules its text lists. */
const functionsListed = 30
const effectModulesPrinted = 15

const idle = "(idle)"

/** The package (or runtime part) a function belongs to, from its script's URL. */
export const groupOf = (url: string, functionName: string): string => {
  if (url === "") return functionName.startsWith("(") ? functionName : "(native)"
  if (url.startsWith("node:")) {
    const part = url
      .slice("node:".length)
      .replace(/^internal\//, "")
      .split(/[/.]/)[0]!
    return `node:${part.startsWith("_http") ? "http" : part}`
  }
  const tally = /\/packages\/([^/]+)\/src\//.exec(url)
  if (tally !== null) return `@tally/${tally[1]}`
  // The service as the bench runs it: Tally's three packages built into one file.
  if (url.endsWith(tallyScript)) return "@tally (built)"
  const modules = url.lastIndexOf("/node_modules/")
  if (modules >= 0) {
    const [scope = "", name = ""] = url.slice(modules + "/node_modules/".length).split("/")
    return scope.startsWith("@") ? `${scope}/${name}` : scope
  }
  return url.replace(/^file:\/\//, "")
}

/** Effect's module of a function: `internal/effect`, `http/HttpEffect`, `Schema`... */
const effectModuleOf = (url: string) => /\/node_modules\/effect\/dist\/(.+)\.js$/.exec(url)?.[1]

/**
 * A native function (a system call, a V8 builtin) counts for the package that called it, so the
 * socket writes of the HTTP server land in node's streams and the log file's in node's fs.
 */
const callerGroups = (profile: Profile) => {
  const parents = new Map<number, number>()
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id)
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]))
  return (id: number): string => {
    const { url, functionName } = nodes.get(id)!.callFrame
    const own = groupOf(url, functionName)
    if (own !== "(native)") return own
    for (let parent = parents.get(id); parent !== undefined; parent = parents.get(parent)) {
      const frame = nodes.get(parent)!.callFrame
      const group = groupOf(frame.url, frame.functionName)
      if (group !== "(native)") return `${group} (native)`
    }
    return own
  }
}

const shares = (times: Map<string, number>, busyMs: number, limit: number): Array<Share> =>
  [...times.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([name, selfMs]) => ({ name, selfMs, percent: (100 * selfMs) / busyMs }))

const add = (times: Map<string, number>, key: string, ms: number) => times.set(key, (times.get(key) ?? 0) + ms)

export const summarize = (
  profile: Profile,
  window: { readonly fromUs: number; readonly toUs: number },
): ProfileSummary => {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]))
  const byNode = new Map<number, number>()
  // A sample stands for the time until the next one.
  let at = profile.startTime
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i]!
    const durationUs = profile.timeDeltas[i + 1] ?? 0
    if (at < window.fromUs || at >= window.toUs) continue
    byNode.set(profile.samples[i]!, (byNode.get(profile.samples[i]!) ?? 0) + durationUs / 1000)
  }
  const groupOfNode = callerGroups(profile)
  const groups = new Map<string, number>()
  const effectModules = new Map<string, number>()
  const functions = new Map<string, { group: string; location: string; name: string; selfMs: number }>()
  let idleMs = 0
  for (const [id, ms] of byNode) {
    const { functionName, url, lineNumber, columnNumber } = nodes.get(id)!.callFrame
    const group = groupOfNode(id)
    if (group === idle) {
      idleMs += ms
      continue
    }
    add(groups, group, ms)
    const module = effectModuleOf(url)
    if (module !== undefined) add(effectModules, module, ms)
    const file = url.replace(/^.*\/node_modules\//, "").replace(/^file:\/\//, "")
    const location = url === "" ? "" : `${file}:${lineNumber + 1}:${columnNumber + 1}`
    const key = `${functionName}@${location}`
    const entry = functions.get(key) ?? { group, location, name: functionName || "(anonymous)", selfMs: 0 }
    functions.set(key, { ...entry, selfMs: entry.selfMs + ms })
  }
  const busyMs = [...groups.values()].reduce((sum, ms) => sum + ms, 0)
  return {
    windowMs: (window.toUs - window.fromUs) / 1000,
    busyMs,
    idleMs,
    groups: shares(groups, busyMs, groups.size),
    effectModules: shares(effectModules, busyMs, effectModules.size),
    functions: [...functions.values()]
      .sort((a, b) => b.selfMs - a.selfMs)
      .slice(0, functionsListed)
      .map((f) => ({ ...f, percent: (100 * f.selfMs) / busyMs })),
  }
}

const line = (share: Share) =>
  `${share.percent.toFixed(1).padStart(5)}%  ${share.selfMs.toFixed(0).padStart(6)} ms  ${share.name}`

export const text = (summary: ProfileSummary): string =>
  [
    `busy ${summary.busyMs.toFixed(0)} ms and idle ${summary.idleMs.toFixed(0)} ms of a ${summary.windowMs.toFixed(0)} ms window`,
    "",
    "self time by package:",
    ...summary.groups.map(line),
    "",
    "self time by module of effect:",
    ...summary.effectModules.slice(0, effectModulesPrinted).map(line),
    "",
    `the ${functionsListed} functions with the most self time:`,
    ...summary.functions.map((f) => `${line(f)}  [${f.group}] ${f.location}`),
  ].join("\n")
