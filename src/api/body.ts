import { API_MAX_BODY_BYTES } from './constants.js'
import { BodyTooLargeError, MalformedJsonError } from './errors.js'
import type { IncomingMessage } from 'node:http'

/** A request's JSON body, at most `max` bytes (an empty body is `{}`). */
export async function readJson (req: IncomingMessage, max = API_MAX_BODY_BYTES): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? NaN)
  if (declared > max) throw new BodyTooLargeError(`request body over ${max} bytes`)
  const parts: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > max) throw new BodyTooLargeError(`request body over ${max} bytes`)
    parts.push(chunk as Buffer)
  }
  const text = Buffer.concat(parts).toString('utf8')
  if (text.trim() === '') return {}
  try {
    return JSON.parse(text)
  } catch (err: any) {
    throw new MalformedJsonError(`malformed JSON body: ${String(err.message).split('\n')[0]}`)
  }
}
