/** The API's one error shape: {"error": {"code", "message", "details"}}. */
export interface ErrorBody {
  code: string;
  message: string;
  details: Record<string, unknown>;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: Record<string, unknown>;

  constructor(status: number, body: ErrorBody) {
    super(body.message);
    this.name = "ApiError";
    this.status = status;
    this.code = body.code;
    this.details = body.details;
  }

  /** Seconds to wait before retrying, for 429s (from details or the Retry-After header). */
  get retryAfter(): number | null {
    const value = this.details["retry_after"];
    return typeof value === "number" && value > 0 ? Math.ceil(value) : null;
  }

  /** Field-level messages from a validation error: {"username": ["taken"]} -> {username: "taken"}. */
  fieldErrors(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [field, value] of Object.entries(this.details)) {
      if (Array.isArray(value) && typeof value[0] === "string") out[field] = value[0];
      else if (typeof value === "string") out[field] = value;
    }
    return out;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const STATUS_MESSAGES: Record<number, string> = {
  400: "The request was not accepted.",
  401: "Please sign in again.",
  403: "You are not allowed to do that.",
  404: "Not found.",
  409: "That conflicts with the current state. Reload and try again.",
  413: "That is too large.",
  429: "Too many attempts. Please wait a moment.",
  502: "The server is unreachable (bad gateway).",
  503: "The server is temporarily unavailable.",
  504: "The server took too long to answer.",
};

/** Parses any response body into the standard shape, whatever the server sent. */
export function parseErrorBody(status: number, body: unknown, retryAfterHeader?: string | null): ErrorBody {
  let parsed: ErrorBody | null = null;
  if (isRecord(body) && isRecord(body["error"])) {
    const err = body["error"];
    parsed = {
      code: typeof err["code"] === "string" ? err["code"] : `http_${status}`,
      message: typeof err["message"] === "string" && err["message"] ? err["message"] : defaultMessage(status),
      details: isRecord(err["details"]) ? err["details"] : {},
    };
  } else if (isRecord(body) && typeof body["detail"] === "string") {
    parsed = { code: `http_${status}`, message: body["detail"], details: {} };
  }
  parsed ??= { code: `http_${status}`, message: defaultMessage(status), details: {} };
  if (status === 429 && parsed.details["retry_after"] === undefined && retryAfterHeader) {
    const seconds = Number(retryAfterHeader);
    if (Number.isFinite(seconds) && seconds > 0) parsed.details = { ...parsed.details, retry_after: seconds };
  }
  return parsed;
}

function defaultMessage(status: number): string {
  return STATUS_MESSAGES[status] ?? (status >= 500 ? `The server failed (HTTP ${status}).` : `Request failed (HTTP ${status}).`);
}

export function networkError(cause: unknown): ApiError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new ApiError(0, {
    code: "network",
    message: "Cannot reach the server. Check your connection and try again.",
    details: { cause: detail },
  });
}

/** A message for anything caught in a UI handler. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}
