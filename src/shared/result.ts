/** Error codes that cross the API boundary. `user` errors are shown to the person verbatim. */
export type ErrorCode =
  | 'invalid_request'
  | 'not_found'
  | 'conflict'
  | 'user'
  | 'cancelled'
  | 'unauthorized'
  | 'internal'

export interface ApiError {
  code: ErrorCode
  message: string
}

/** Every reply of the Workbench API: errors cross as data, never as thrown objects. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: ApiError }

export function ok<T>(value: T): Result<T> {
  return { ok: true, value }
}

export function err<T = never>(code: ErrorCode, message: string): Result<T> {
  return { ok: false, error: { code, message } }
}

/**
 * A problem with the person's input (a file, a request, a setting). Its message is shown
 * verbatim, so it must name the thing at fault and what is wrong with it.
 */
export class UserError extends Error {
  readonly code: ErrorCode
  constructor(message: string, code: ErrorCode = 'user') {
    super(message)
    this.name = 'UserError'
    this.code = code
  }
}
