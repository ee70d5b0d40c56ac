// Two stock Yjs clients (y-websocket's WebsocketProvider over `ws`, nothing of
// Observer's) on one document of an Observer server: a student (guest token) and a
// teacher (access token), each with its token in the query string as y-websocket's
// `params` sends it. They sync, type, set their awareness and wait until each has the
// other's edits and cursor. Prints what they ended with as JSON (checked by
// tests/live/test_stock_clients.py).
//
//   node stock_clients.mjs ws://127.0.0.1:PORT DOCUMENT_ID STUDENT_TOKEN TEACHER_TOKEN
import WebSocket from 'ws'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'

const [base, documentId, studentToken, teacherToken] = process.argv.slice(2)

// Node has no Origin header of its own; the server checks it as it would a browser's.
class NodeSocket extends WebSocket {
  constructor (url, protocols) {
    super(url, protocols, { origin: new URL(base.replace(/^ws/, 'http')).origin })
  }
}

const open = (token, claimed) => {
  const doc = new Y.Doc()
  const provider = new WebsocketProvider(`${base}/ws/documents`, `${documentId}/`, doc, {
    WebSocketPolyfill: NodeSocket, params: { token }, disableBc: true
  })
  // Whatever name a client claims, the server shows the one it knows.
  provider.awareness.setLocalStateField('user', { name: claimed, color: '#30bced' })
  return { doc, provider, text: doc.getText('content') }
}

const until = (check, what, ms = 15000) => new Promise((resolve, reject) => {
  const started = Date.now()
  const poll = () => {
    if (check()) return resolve()
    if (Date.now() - started > ms) return reject(new Error(`timed out waiting for ${what}`))
    setTimeout(poll, 20)
  }
  poll()
})

const others = (client) => [...client.provider.awareness.getStates().entries()]
  .filter(([id]) => id !== client.doc.clientID)
  .map(([, state]) => state.user && state.user.name)
  .filter(Boolean)

const student = open(studentToken, 'the teacher, honestly')
const teacher = open(teacherToken, 'someone else')
let closed = null
for (const client of [student, teacher]) {
  client.provider.on('connection-close', (event) => { closed = event && event.code })
}
try {
  await until(() => student.provider.synced && teacher.provider.synced, 'both to sync')
  student.text.insert(0, "print('from the student')\n")
  teacher.text.insert(teacher.text.length, '# from the teacher\n')
  await until(() => student.text.toString() === teacher.text.toString() &&
    student.text.toString().includes('# from the teacher') &&
    teacher.text.toString().includes('from the student'), 'the edits to cross')
  await until(() => others(student).length > 0 && others(teacher).length > 0, 'each other\'s cursor')
  console.log(JSON.stringify({
    text: student.text.toString(),
    studentSees: others(student),
    teacherSees: others(teacher),
    closed
  }))
} finally {
  student.provider.destroy()
  teacher.provider.destroy()
}
process.exit(0)
