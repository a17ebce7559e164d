import { randomBytes } from "node:crypto";
import type { GrantState } from "./sandbox-model.js";

/** An issued access token. `id` is safe to log and record; `token` is the secret. */
export interface AccessTokenRecord {
  id: string;
  token: string;
  grant: GrantState;
  clientId: string;
  /** Epoch ms. */
  expiresAt: number;
  /** Issue order, so "expire everything issued so far" needs no walk over the tokens. */
  seq: number;
}

/** A live refresh token. */
export interface RefreshTokenRecord {
  grantId: string;
  /** Epoch ms after which it is refused (set when rotation left a grace period). */
  invalidAfter?: number;
}

/** A pending authorization code: single use, short-lived, bound to client and redirect URI. */
export interface AuthCodeRecord {
  clientId: string;
  redirectUri: string;
  /** The grant the consent resolved to. */
  grantId: string;
  expiresAt: number;
}

// Sweep expired access tokens once the map grows past this, so long benchmark runs stay bounded.
const SWEEP_THRESHOLD = 50_000;

/** Access tokens, refresh tokens and authorization codes, all in memory. */
export class TokenStore {
  readonly #access = new Map<string, AccessTokenRecord>();
  readonly #refresh = new Map<string, RefreshTokenRecord>();
  readonly #codes = new Map<string, AuthCodeRecord>();
  #seq = 0;
  #expiredThroughSeq = 0;
  #sweepAt = SWEEP_THRESHOLD;

  /** Issue an access token for a grant. */
  issueAccess(grant: GrantState, clientId: string, ttlSeconds: number, now: number): AccessTokenRecord {
    if (this.#access.size >= this.#sweepAt) this.#sweep(now);
    const seq = ++this.#seq;
    const rec: AccessTokenRecord = {
      id: `at-${seq}`,
      token: `sbx-at-${randomBytes(24).toString("base64url")}`,
      grant,
      clientId,
      expiresAt: now + ttlSeconds * 1000,
      seq,
    };
    this.#access.set(rec.token, rec);
    return rec;
  }

  /** Look up a bearer token; undefined when unknown. */
  findAccess(token: string): AccessTokenRecord | undefined {
    return this.#access.get(token);
  }

  /** Whether an access token has expired (its TTL passed or `expireAll()` ran after it was issued). */
  isExpired(rec: AccessTokenRecord, now: number): boolean {
    return rec.seq <= this.#expiredThroughSeq || now >= rec.expiresAt;
  }

  /** Expire every access token issued so far; later ones are unaffected. */
  expireAll(): void {
    this.#expiredThroughSeq = this.#seq;
  }

  /** Make a refresh token valid for a grant. */
  addRefresh(token: string, grantId: string): void {
    this.#refresh.set(token, { grantId });
  }

  /**
   * Look a refresh token up. Retired tokens stay known (valid: false) so a refused refresh can still be
   * attributed to its grant in the ledger.
   */
  lookupRefresh(token: string, now: number): { grantId: string; valid: boolean } | undefined {
    const rec = this.#refresh.get(token);
    if (rec === undefined) return undefined;
    return { grantId: rec.grantId, valid: rec.invalidAfter === undefined || now < rec.invalidAfter };
  }

  /** Retire a refresh token, at once (grace 0) or after a grace period. */
  retireRefresh(token: string, graceMs: number, now: number): void {
    const rec = this.#refresh.get(token);
    if (rec === undefined) return;
    rec.invalidAfter = Math.min(rec.invalidAfter ?? Infinity, now + Math.max(0, graceMs));
  }

  /** Store a new authorization code and return it. */
  issueCode(rec: AuthCodeRecord): string {
    const code = `sbx-code-${randomBytes(18).toString("base64url")}`;
    this.#codes.set(code, rec);
    return code;
  }

  /** Consume a code: it is removed whether or not it is still valid, so a second use always fails. */
  takeCode(code: string, now: number): AuthCodeRecord | undefined {
    const rec = this.#codes.get(code);
    if (rec === undefined) return undefined;
    this.#codes.delete(code);
    return now < rec.expiresAt ? rec : undefined;
  }

  #sweep(now: number): void {
    for (const [token, rec] of this.#access) if (this.isExpired(rec, now)) this.#access.delete(token);
    for (const [code, rec] of this.#codes) if (now >= rec.expiresAt) this.#codes.delete(code);
    this.#sweepAt = Math.max(SWEEP_THRESHOLD, this.#access.size * 2);
  }
}
