import { Injectable, InjectionToken, inject } from '@angular/core';
import type { z } from 'zod';

/** `fetch`, injectable so tests can answer requests without a server. */
export const FETCH = new InjectionToken<typeof fetch>('FETCH', {
  providedIn: 'root',
  factory: () => globalThis.fetch.bind(globalThis),
});

/** Base URL of the REST API; same origin by default (the API serves the app). */
export const API_BASE_URL = new InjectionToken<string>('API_BASE_URL', {
  providedIn: 'root',
  factory: () => '/api',
});

/** A JSON call that has not answered after this long counts as a network failure. */
export const REQUEST_TIMEOUT_MS = 15_000;

/** Status 0 means the request never got an HTTP answer (offline, server down, timeout). */
export const NETWORK_ERROR_STATUS = 0;

/** Every failed API call rejects with this: the contract's error body, or a synthesized one. */
export class ApiRequestError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly error: string,
  ) {
    super(message);
    this.name = 'ApiRequestError';
  }

  get isNetworkError(): boolean {
    return this.statusCode === NETWORK_ERROR_STATUS;
  }
}

export function isApiRequestError(value: unknown): value is ApiRequestError {
  return value instanceof ApiRequestError;
}

const FALLBACK_MESSAGES: Record<number, string> = {
  400: 'The request was not valid',
  401: 'Not authorized',
  403: 'Forbidden',
  507: 'The library is full',
  404: 'Not found',
  413: 'Too large',
  429: 'Too many requests, wait a minute',
};

/**
 * Turns a non-2xx response into an ApiRequestError. Uses the contract's error body
 * `{ statusCode, error, message }` when present (Nest may send `message` as a list),
 * and falls back to a readable message for bodies that are missing or not JSON
 * (e.g. a proxy's HTML 502 page).
 */
export function toApiRequestError(status: number, statusText: string, bodyText: string): ApiRequestError {
  let body: unknown;
  try {
    body = JSON.parse(bodyText);
  } catch {
    body = undefined;
  }
  const record = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const rawMessage = record['message'];
  const message =
    typeof rawMessage === 'string' && rawMessage.trim() !== ''
      ? rawMessage
      : Array.isArray(rawMessage) && rawMessage.every((m) => typeof m === 'string') && rawMessage.length > 0
        ? rawMessage.join('; ')
        : (FALLBACK_MESSAGES[status] ??
          (status >= 500 ? 'The server had a problem, try again' : `Request failed (${status})`));
  const error =
    typeof record['error'] === 'string' ? record['error'] : statusText || `HTTP ${status}`;
  return new ApiRequestError(status, message, error);
}

export function networkError(): ApiRequestError {
  return new ApiRequestError(NETWORK_ERROR_STATUS, 'Server unreachable', 'Network Error');
}

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export interface JsonRequestOptions {
  /** Sent as JSON when present. */
  body?: unknown;
  /** Sent as `Authorization: Bearer …` when non-empty. */
  bearer?: string | null;
}

/**
 * The one JSON-over-fetch helper of the app: resolves with the answer parsed by `schema`,
 * rejects with an ApiRequestError (the server's error body, status 0 when no answer came,
 * 502 when a 2xx answer does not match the contract).
 */
@Injectable({ providedIn: 'root' })
export class JsonHttp {
  private readonly fetch = inject(FETCH);
  private readonly baseUrl = inject(API_BASE_URL);

  async request<T>(method: HttpMethod, path: string, schema: z.ZodType<T>, options: JsonRequestOptions = {}): Promise<T> {
    const { body, bearer } = options;
    let response: Response;
    let text: string;
    try {
      response = await this.fetch(`${this.baseUrl}${path}`, {
        method,
        headers: {
          Accept: 'application/json',
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
          ...(bearer ? { Authorization: `Bearer ${bearer}` } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      text = await response.text();
    } catch {
      // fetch only rejects when no HTTP answer arrived (offline, refused, timeout).
      throw networkError();
    }
    if (!response.ok) throw toApiRequestError(response.status, response.statusText, text);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new ApiRequestError(502, 'Unexpected answer from the server', 'Bad Gateway');
    return parsed.data;
  }
}
