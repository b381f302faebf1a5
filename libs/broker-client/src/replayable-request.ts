/** Whether a request can be sent a second time: not when its body is a stream, consumed by the first send. */
export function isReplayable(input: string | URL | Request, init: RequestInit | undefined): boolean {
  if (input instanceof Request && input.body !== null) return false;
  const body = init?.body;
  if (body === undefined || body === null) return true;
  if (body instanceof ReadableStream) return false;
  return typeof (body as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] !== 'function';
}

/** `init` with `Authorization: Bearer <token>` over the request's own headers. */
export function withBearer(input: string | URL | Request, init: RequestInit | undefined, token: string): RequestInit {
  const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
  headers.set('authorization', `Bearer ${token}`);
  return { ...init, headers };
}
