// The Octokit the app is handed by probot (installation-authenticated, with the REST methods,
// pagination, retry and throttling plugins), and the logging of request errors that must never
// crash the server.
import type { ProbotOctokit } from 'probot';
import type { Logger } from 'pino';

export type Octokit = InstanceType<typeof ProbotOctokit>;

interface RequestErrorLike {
  status?: number;
  message?: string;
  response?: { headers?: Record<string, string | number | undefined>; data?: unknown };
  request?: { method?: string; url?: string };
}

/** The request option naming the error statuses a caller handles as answers (see expectStatus). */
export const EXPECTED_STATUS = 'modreviewExpected';

/**
 * Marks a GitHub request whose error answer the caller expects and handles as an answer (a 404
 * for a file that is not there): `octokit.rest.repos.getContent({ ..., ...expectStatus(404) })`.
 * Such answers are not counted in modreview_github_api_errors_total (src/metrics.ts).
 */
export function expectStatus(...statuses: number[]): { request: { [EXPECTED_STATUS]: number[] } } {
  return { request: { [EXPECTED_STATUS]: statuses } };
}

export function httpStatus(err: unknown): number | undefined {
  const s = (err as RequestErrorLike | null)?.status;
  return typeof s === 'number' ? s : undefined;
}

/** One clear line for a failed GitHub request: what happened, why it usually happens, what was being done. */
export function describeRequestError(err: unknown, doing: string): string {
  const e = (err ?? {}) as RequestErrorLike;
  const status = httpStatus(err);
  const req = e.request?.method && e.request.url ? ` (${e.request.method} ${e.request.url.replace(/^https?:\/\/[^/]+/, '')})` : '';
  const headers = e.response?.headers ?? {};
  const retryAfter = headers['retry-after'];
  const remaining = headers['x-ratelimit-remaining'];
  const msg = (e.message ?? String(err)).split('\n')[0];
  if (status === 403 && (retryAfter !== undefined || remaining === '0' || remaining === 0 || /rate limit/i.test(msg ?? ''))) {
    return `${doing}: rate limited by GitHub (403${retryAfter !== undefined ? `, retry-after ${retryAfter}s` : ''})${req}: ${msg}`;
  }
  switch (status) {
    case 401:
      return `${doing}: GitHub refused the credentials (401)${req}: check APP_ID and the private key`;
    case 403:
      return `${doing}: permission denied (403)${req}: the app lacks a permission here (a fork without write access, or a permission not granted to the installation): ${msg}`;
    case 404:
      return `${doing}: not found (404)${req}: the app was uninstalled, the repository is gone, or it is not visible to the installation`;
    case 422:
      return `${doing}: GitHub rejected the request (422)${req}: ${msg}`;
    case 429:
      return `${doing}: rate limited by GitHub (429${retryAfter !== undefined ? `, retry-after ${retryAfter}s` : ''})${req}`;
    default:
      return `${doing}: ${status ? `HTTP ${status}${req}: ` : ''}${msg}`;
  }
}

export function logRequestError(log: Logger, err: unknown, doing: string): void {
  const status = httpStatus(err);
  const line = describeRequestError(err, doing);
  if (status === 404 || status === 403 || status === 429) log.warn({ status }, line);
  else log.error({ status, err: status ? undefined : err }, line);
}
