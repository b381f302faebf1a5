import { HttpException, HttpStatus } from '@nestjs/common';
import { BrokerError } from './broker.errors';

export interface ErrorBody {
  error: string;
  message: string;
}

export interface ErrorResponse {
  readonly status: number;
  readonly body: ErrorBody;
  readonly retryAfterSeconds?: number;
  /** Set for failures nobody planned for: the caller logs the class name, never the message. */
  readonly unexpected?: string;
}

const HTTP_CODES: Record<number, string> = {
  400: 'invalid_request',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
};

/** Terminus answers a failed check with its report (`{status, info, error, details}`): keep it. */
function isHealthReport(response: unknown): boolean {
  return typeof response === 'object' && response !== null && 'details' in response && 'status' in response;
}

/** Validation messages name the parameter and the rule, never the value sent. */
function publicMessage(exception: HttpException): string {
  const response = exception.getResponse();
  const message =
    typeof response === 'object' && response !== null ? (response as { message?: unknown }).message : response;
  if (Array.isArray(message)) return message.map(String).join('; ');
  return typeof message === 'string' ? message : exception.message;
}

/**
 * The one mapping from a failure to an HTTP answer `{error, message}` with a stable code,
 * shared by the Nest exception filter and GET /token (TokenEndpoint).
 */
export function describeError(exception: unknown): ErrorResponse {
  if (exception instanceof BrokerError) {
    return {
      status: exception.status,
      body: { error: exception.code, message: exception.message },
      retryAfterSeconds: exception.retryAfterSeconds,
    };
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const response = exception.getResponse();
    if (isHealthReport(response)) return { status, body: response as unknown as ErrorBody };
    const code = HTTP_CODES[status] ?? (status >= 500 ? 'internal_error' : 'invalid_request');
    // The router's 404 reads "Cannot GET <path>": never reflect what the client sent.
    const message = status === 404 ? 'No such route' : publicMessage(exception);
    return { status, body: { error: code, message } };
  }
  const statusCode = (exception as { statusCode?: unknown } | null)?.statusCode;
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    // Fastify's own errors (body too large, bad content type...): their messages are fixed texts.
    return {
      status: statusCode,
      body: { error: HTTP_CODES[statusCode] ?? 'invalid_request', message: 'Invalid request' },
    };
  }
  return {
    status: HttpStatus.INTERNAL_SERVER_ERROR,
    body: { error: 'internal_error', message: 'Internal error' },
    unexpected: exception instanceof Error ? exception.name : typeof exception,
  };
}
