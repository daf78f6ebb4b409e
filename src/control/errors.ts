/** A control or HTTP request whose params do not match its method's schema: nothing was done. */
export class BadParamsError extends Error {
  static readonly code = 'BadParamsError'
  override name = 'BadParamsError'
}

/** A method the node on the other end does not offer (a short-lived node has no downloads list). */
export class UnsupportedMethodError extends Error {
  static readonly code = 'UnsupportedMethodError'
  override name = 'UnsupportedMethodError'
}
