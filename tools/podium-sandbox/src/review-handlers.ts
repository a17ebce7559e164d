/** Reviews (owned by `locations`, possibly several) and the per-location and per-site summaries. */
import type { Reply } from "./http-io.js";
import { findResource, readReply } from "./resource-access.js";
import { dateRange, dateRangeParams, LOCATION_FILTERS, listReply, newestFirst } from "./resource-list.js";
import { ownersOf, type ResourceRef, type StoredResource } from "./resource-store.js";
import type { SandboxState } from "./sandbox-state.js";
import type { V4Request } from "./v4-request.js";

/** A response to a review (a part of the review, owned by the review's locations). */
export interface ReviewResponseRecord {
  uid: string;
  body: string;
  isDeleted: boolean;
  likeCount: number;
  siteAuthorName: string | null;
  source: string;
  createdAt: string;
  updatedAt: string;
}

/** A user attributed to a review (a part of the review). */
export interface ReviewAttributionRecord {
  uid: string;
  userUid: string;
  locationUid: string;
  editedByUserUid: string;
  apiClientUid: string | null;
  reviewInviteUid: string | null;
  isDeleted: boolean;
  createdAt: string;
  updatedAt: string;
}

/** A review; `owners` are its `locations`. */
export interface ReviewRecord extends StoredResource {
  rating: number;
  body: string;
  siteName: string;
  siteReviewId: string;
  url: string;
  authorName: string;
  isRecommendation: boolean | null;
  needsResponse: boolean;
  responses: ReviewResponseRecord[];
  attributions: ReviewAttributionRecord[];
}

/** Podium's review object. */
export function reviewJson(r: ReviewRecord): Record<string, unknown> {
  return {
    uid: r.uid,
    review: { rating: r.rating, body: r.body, siteName: r.siteName, siteReviewId: r.siteReviewId, url: r.url },
    author: { id: r.siteReviewId, name: r.authorName },
    locations: r.owners.map((uid) => ({ uid })),
    needsResponse: r.needsResponse,
    isRecommendation: r.isRecommendation,
    responses: r.responses.filter((x) => !x.isDeleted).map((x) => ({ body: x.body, createdAt: x.createdAt, siteAuthorName: x.siteAuthorName })),
    attributions: r.attributions.filter((a) => !a.isDeleted).map((a) => ({ apiClientUid: a.apiClientUid, reviewInvitationUid: a.reviewInviteUid, userUid: a.userUid })),
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}

/** A review the caller may address by uid; else 404. */
export function findReview(state: SandboxState, req: V4Request, uid: string | undefined): ReviewRecord {
  return findResource(state, req.grant, state.resources.reviews, uid, "Review");
}

/** GET /v4/reviews: the reviews of the token's locations, newest first; `createdAt`/`updatedAt` ranges. */
export function listReviews(state: SandboxState, req: V4Request): Reply {
  const org = req.grant.organizationUid;
  return listReply(state, req, {
    cursor: "reviews",
    filters: [...dateRangeParams("createdAt"), ...dateRangeParams("updatedAt")],
    kind: "review",
    items: (filters, scope) => {
      const created = dateRange(filters, "createdAt");
      const updated = dateRange(filters, "updatedAt");
      let items = state.resources.reviews.select(org, scope, false);
      if (created !== undefined || updated !== undefined) items = items.filter((r) => (created === undefined || created(r.createdAt)) && (updated === undefined || updated(r.updatedAt)));
      return newestFirst(items);
    },
    toJson: reviewJson,
  });
}

/** GET /v4/reviews/{uid}. */
export function getReview(state: SandboxState, req: V4Request): Reply {
  return readReply(state, req, state.resources.reviews, "review", "Review", reviewJson);
}

/** The reviews a summary covers: in scope, in the `createdAt` range, attributed to `userUid` when given. */
function summaryReviews(state: SandboxState, req: V4Request, filters: Record<string, string>, scope: readonly string[]): ReviewRecord[] {
  const created = dateRange(filters, "createdAt");
  const user = filters["userUid"];
  return state.resources.reviews
    .select(req.grant.organizationUid, scope, false)
    .filter((r) => (created === undefined || created(r.createdAt)) && (user === undefined || r.attributions.some((a) => !a.isDeleted && a.userUid === user)));
}

interface SummaryRow extends ResourceRef {
  averageRating: number | null;
  reviewCount: number;
}

const average = (ratings: number[]): number | null => (ratings.length === 0 ? null : Math.round((ratings.reduce((a, b) => a + b, 0) / ratings.length) * 100) / 100);
const SUMMARY_FILTERS = [...LOCATION_FILTERS, ...dateRangeParams("createdAt"), "userUid"];

/** GET /v4/reviews/summary: one row per location in scope (`locationUids`, else every location of the token). */
export function reviewSummary(state: SandboxState, req: V4Request): Reply {
  const org = req.grant.organizationUid;
  return listReply(state, req, {
    cursor: "reviews_summary",
    filters: SUMMARY_FILTERS,
    kind: "review_summary",
    items: (filters, scope): SummaryRow[] => {
      const reviews = summaryReviews(state, req, filters, scope);
      return scope.map((uid) => {
        const ratings = reviews.filter((r) => r.owners.includes(uid)).map((r) => r.rating);
        return { uid, organizationUid: org, owners: ownersOf([uid]), averageRating: average(ratings), reviewCount: ratings.length };
      });
    },
    toJson: (row) => ({ locationUid: row.uid, averageRating: row.averageRating, reviewCount: row.reviewCount }),
  });
}

/** GET /v4/reviews/sites/summary: one row per review site across the locations in scope. */
export function reviewSitesSummary(state: SandboxState, req: V4Request): Reply {
  const org = req.grant.organizationUid;
  return listReply(state, req, {
    cursor: "reviews_sites_summary",
    filters: SUMMARY_FILTERS,
    kind: "review_site_summary",
    items: (filters, scope): SummaryRow[] => {
      const inScope = new Set(scope);
      const sites = new Map<string, { ratings: number[]; owners: Set<string> }>();
      for (const r of summaryReviews(state, req, filters, scope)) {
        let site = sites.get(r.siteName);
        if (site === undefined) sites.set(r.siteName, (site = { ratings: [], owners: new Set() }));
        site.ratings.push(r.rating);
        for (const uid of r.owners) if (inScope.has(uid)) site.owners.add(uid);
      }
      return [...sites].map(([name, s]) => ({ uid: name, organizationUid: org, owners: ownersOf(s.owners), averageRating: average(s.ratings), reviewCount: s.ratings.length }));
    },
    toJson: (row) => ({ siteName: row.uid, averageRating: row.averageRating ?? 0, reviewCount: row.reviewCount }),
  });
}
