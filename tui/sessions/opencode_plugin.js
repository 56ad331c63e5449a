// loupe's status plugin for opencode. loupe writes it into each session's worktree as
// .opencode/plugin/loupe.js (kept out of git status) and rewrites it at every start.
//
// opencode loads it in its server, where every event of the session passes by. Those that
// change what the session is doing (working, waiting for a permission or an answer, idle)
// are handed to `loupe hook SESSION opencode EVENT-JSON`, one at a time and in order; loupe
// turns them into the session's state. Events of subagent sessions (their parent is another
// session) are not this session's turn and are left out.
import { spawn } from "node:child_process"

// Filled in by loupe: the argv of `loupe hook SESSION`.
const HOOK = __LOUPE_HOOK__

const FORWARDED = new Set([
  "session.status",
  "session.idle",
  "permission.asked",
  "permission.updated",
  "permission.replied",
  "question.asked",
  "question.replied",
  "question.rejected",
])

export const LoupeStatus = async () => {
  const children = new Set()
  let last = ""
  let queue = Promise.resolve()

  const report = (payload) => {
    // One hook at a time: a later state must never be written before an earlier one.
    queue = queue.then(() => new Promise((done) => {
      const child = spawn(HOOK[0], [...HOOK.slice(1), "opencode", JSON.stringify(payload)], { stdio: "ignore" })
      child.on("exit", done)
      child.on("error", done)
    }))
  }

  return {
    event: async ({ event }) => {
      const props = event.properties ?? {}
      if (event.type === "session.created" || event.type === "session.updated") {
        if (props.info?.parentID) children.add(props.info.id)
        return
      }
      if (!FORWARDED.has(event.type)) return
      const sessionID = props.sessionID ?? props.info?.sessionID
      if (sessionID && children.has(sessionID)) return
      const question = props.questions?.[0]?.question ?? props.questions?.[0]?.text
      const payload = {
        type: event.type,
        status: props.status?.type ?? "",
        title: String(props.title ?? question ?? props.permission ?? "").slice(0, 200),
      }
      const key = `${payload.type} ${payload.status} ${payload.title}`
      if (key === last) return
      last = key
      report(payload)
    },
  }
}
