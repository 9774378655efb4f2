/**
 * The operator token (config `serve.token`): who may write, and — when the server listens beyond loopback —
 * who may read. A client proves it holds the token with `Authorization: Bearer <token>` or by posting it once
 * to the login form, which sets an HttpOnly session cookie (a random id; the token itself never goes in a
 * cookie). Without a configured token every write is refused.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'fintech_etl_session';
const SESSION_HOURS = 12;

export class OperatorAuth {
  private readonly tokenDigest: Buffer | undefined;
  private readonly sessions = new Map<string, number>();

  /**
   * @param token the resolved `serve.token`, or undefined (reads open, every write refused)
   * @param readsNeedToken true when the server listens beyond loopback: pages and data need the token too
   */
  constructor(
    token: string | undefined,
    readonly readsNeedToken: boolean,
    private readonly now: () => number = Date.now,
  ) {
    this.tokenDigest = token === undefined ? undefined : digest(token);
  }

  get hasToken(): boolean {
    return this.tokenDigest !== undefined;
  }

  /** Compares in constant time (over digests, so the token's length does not leak either). */
  tokenMatches(candidate: string | undefined): boolean {
    if (!this.tokenDigest || candidate === undefined) return false;
    return timingSafeEqual(digest(candidate), this.tokenDigest);
  }

  /** Whether a request carries the token: a bearer header, or the cookie of a live session. */
  isOperator(authorization: string | undefined, sessionId: string | undefined): boolean {
    const bearer = /^Bearer\s+(.+)$/i.exec(authorization ?? '')?.[1]?.trim();
    if (bearer !== undefined) return this.tokenMatches(bearer);
    if (sessionId === undefined) return false;
    const expires = this.sessions.get(sessionId);
    if (expires === undefined) return false;
    if (expires < this.now()) {
      this.sessions.delete(sessionId);
      return false;
    }
    return true;
  }

  /** A new session id for the cookie the login form sets, valid for {@link SESSION_HOURS} hours. */
  startSession(): { id: string; maxAgeSeconds: number } {
    const id = randomBytes(32).toString('base64url');
    this.sessions.set(id, this.now() + SESSION_HOURS * 3_600_000);
    return { id, maxAgeSeconds: SESSION_HOURS * 3_600 };
  }

  endSession(sessionId: string | undefined): void {
    if (sessionId !== undefined) this.sessions.delete(sessionId);
  }
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
