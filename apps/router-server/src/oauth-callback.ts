import type { LocationRouter, OnboardingResult } from "@podium-router/core";
import { errorCatalog, isCoreError } from "@podium-router/errors";
import type { Logger } from "pino";
import type { NodeRequest, NodeResponse } from "./http-handler.js";

/** Where Podium sends the consenting browser back; `server.public_url` + this is the redirect URI. */
export const OAUTH_CALLBACK_PATH = "/oauth/callback";

/** What {@link createOAuthCallbackHandler} needs. */
export interface OAuthCallbackDeps {
  router: Pick<LocationRouter, "completeAuthorization">;
  logger: Logger;
}

// The page is shown once to a person; it loads nothing, frames nowhere and sends no Referer (the URL holds the code).
const PAGE_HEADERS = {
  "content-type": "text/html; charset=utf-8",
  "cache-control": "no-store",
  "referrer-policy": "no-referrer",
  "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
} as const;

/**
 * `GET /oauth/callback?code&state` (or `?error&state`): completes onboarding by consent and answers a small page
 * saying whether the location was onboarded. It takes no API key: the single-use, unguessable `state` issued by
 * BeginAuthorization is what authenticates it. The code and the state are never logged.
 */
export function createOAuthCallbackHandler(deps: OAuthCallbackDeps): (req: NodeRequest, res: NodeResponse) => void {
  const { router, logger } = deps;
  return (req, res) => {
    if (req.method !== "GET") {
      res.writeHead(405, { ...PAGE_HEADERS, allow: "GET" });
      res.end(page("Method not allowed", "Podium redirects here with a GET request."));
      return;
    }
    const query = new URL(req.url ?? "", "http://callback.invalid").searchParams;
    router
      .completeAuthorization(query.get("state") ?? "", { code: query.get("code") ?? undefined, error: query.get("error") ?? undefined })
      .then(
        (result) => answer(res, result),
        (err: unknown) => {
          // A refused state (unknown, expired, replayed) is the visitor's problem, anything else a bug.
          if (isCoreError(err)) {
            logger.info({ location_uid: err.locationUid, error_code: err.code }, "OAuth callback refused");
            res.writeHead(errorCatalog[err.code].httpStatus, PAGE_HEADERS);
            res.end(page("Onboarding not completed", `${err.message} (${err.code})`));
            return;
          }
          logger.error({ err }, "OAuth callback failed");
          res.writeHead(500, PAGE_HEADERS);
          res.end(page("Onboarding not completed", "The router failed unexpectedly; see its log (ERR_LOC_INTERNAL)."));
        },
      )
      .catch((err: unknown) => logger.warn({ err }, "writing the OAuth callback page failed"));
  };

  function answer(res: NodeResponse, r: OnboardingResult): void {
    logger.info({ location_uid: r.locationUid, outcome: r.outcome, error_code: r.errorCode }, "OAuth callback completed");
    if (r.outcome === "onboarded" || r.outcome === "skipped_existing" || r.outcome === "replaced") {
      const what = r.outcome === "onboarded" ? "onboarded" : r.outcome === "replaced" ? "has its new credential" : "was already onboarded";
      res.writeHead(200, PAGE_HEADERS);
      res.end(page(`Location ${r.locationUid} ${what}`, `Location ${r.locationUid} ${what} — you can close this tab.`));
      return;
    }
    const code = r.errorCode !== undefined && r.errorCode in errorCatalog ? (r.errorCode as keyof typeof errorCatalog) : "ERR_LOC_INTERNAL";
    // 207 is a bulk status; a single location that failed is reported with its own code's status.
    const status = code === "ERR_LOC_ONBOARDING_PARTIAL" ? 500 : errorCatalog[code].httpStatus;
    res.writeHead(status, PAGE_HEADERS);
    res.end(page(`Location ${r.locationUid} not onboarded`, `${r.message} (${code})`));
  }
}

function page(title: string, text: string): string {
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>\n<body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p></body></html>\n`;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
