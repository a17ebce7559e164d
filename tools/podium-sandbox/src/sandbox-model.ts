import { randomBytes, randomUUID } from "node:crypto";
import type { FixtureApp, FixtureLocation, FixtureUser, SandboxFixture } from "./fixture.js";
import { allPodiumScopes } from "./fixture.js";
import { InvalidFixtureError } from "./fixture-file.js";
import { NO_OWNERS, ownersOf } from "./resource-store.js";
import type { TokenStore } from "./token-store.js";

/** Podium's location object as the API returns it (podium-api.md §3). */
export interface PodiumLocation {
  uid: string;
  name: string;
  displayName: string | null;
  organizationUid: string;
  phoneNumber: string | null;
  podiumPhoneNumber: string | null;
  address: string | null;
  addressDetails: Record<string, string> | null;
  archived: boolean;
  archivedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

/** An organization as the sandbox holds it. */
export interface OrgState {
  slug: string;
  organizationUid: string;
  businessName: string;
  createdAt: string;
  locationUids: string[];
  locationByName: Map<string, string>;
}

/** A grant as the sandbox holds it: what its tokens reach. */
export interface GrantState {
  grantId: string;
  clientId: string;
  userUid: string;
  orgSlug: string;
  organizationUid: string;
  scopes: ReadonlySet<string>;
  /** Space-separated, as the token response's `scope`. */
  scope: string;
  /** In the order GET /v4/locations lists them. */
  locationUids: readonly string[];
  locationSet: ReadonlySet<string>;
  /** The most recently issued refresh token (what `fixture` shows). */
  refreshToken: string;
}

/** Input of `addGrant()`: more locations and a grant over them, created at run time. */
export interface AddGrantInput {
  /** The org to add to; created when unknown. @default a new org `org-<n>` */
  orgSlug?: string;
  /** A count of new locations to create, or names of the org's locations (created when missing). */
  locations: number | string[];
  /** @default every Podium scope */
  scopes?: string[];
  /** Share an existing app instead of creating one. @default a new app */
  clientId?: string;
  /** The consenting user (created when unknown). @default a new user */
  userUid?: string;
}

/** A location as `addGrant()` and the fixture view list it. */
export interface GrantLocation {
  uid: string;
  name: string;
  organizationUid: string;
}

/** What `addGrant()` returns: everything a test needs to onboard the grant's locations. */
export interface AddedGrant {
  grantId: string;
  orgSlug: string;
  organizationUid: string;
  userUid: string;
  clientId: string;
  clientSecret: string;
  refreshToken: string;
  scopes: string[];
  locations: GrantLocation[];
}

const DEFAULT_CREATED_AT = "2024-01-15T00:00:00Z";

/** Make a random refresh token; `sbx-rt-` marks it as a sandbox value. */
export function newRefreshToken(): string {
  return `sbx-rt-${randomBytes(18).toString("base64url")}`;
}

/**
 * The sandbox's organizations, locations, users, apps and grants, seeded from a fixture and growable at run
 * time. Plain maps: every lookup on the request path is O(1).
 */
export class SandboxModel {
  readonly locations = new Map<string, PodiumLocation>();
  readonly orgs = new Map<string, OrgState>();
  readonly orgByUid = new Map<string, OrgState>();
  readonly users = new Map<string, FixtureUser>();
  readonly apps = new Map<string, FixtureApp>();
  readonly grants = new Map<string, GrantState>();
  readonly grantsByClient = new Map<string, GrantState[]>();
  /** Per user: the locations the user belongs to (the union of the user's grants), frozen. */
  readonly #userLocations = new Map<string, readonly string[]>();
  readonly #tokens: TokenStore;
  #counter = 0;

  /** Load a fixture; every grant's refresh token is registered in `tokens`. Throws InvalidFixtureError. */
  constructor(fixture: SandboxFixture, tokens: TokenStore) {
    this.#tokens = tokens;
    for (const org of fixture.orgs) {
      const state = this.#addOrg(org.slug, org.organizationUid, org.businessName);
      for (const loc of org.locations) this.#addLocation(state, loc);
    }
    for (const user of fixture.users) this.#addUser(user);
    for (const app of fixture.apps) {
      if (this.apps.has(app.clientId)) throw new InvalidFixtureError(`fixture apps: clientId ${app.clientId} appears twice`);
      this.apps.set(app.clientId, { ...app });
    }
    for (const g of fixture.grants) {
      const org = this.orgs.get(g.orgSlug);
      if (org === undefined) throw new InvalidFixtureError(`fixture grant ${g.grantId}: unknown orgSlug ${g.orgSlug}`);
      if (!this.apps.has(g.clientId)) throw new InvalidFixtureError(`fixture grant ${g.grantId}: unknown clientId ${g.clientId}`);
      const uids = g.locations.map((ref) => {
        const uid = org.locationByName.get(ref) ?? (this.locations.get(ref)?.organizationUid === org.organizationUid ? ref : undefined);
        if (uid === undefined) throw new InvalidFixtureError(`fixture grant ${g.grantId}: no location "${ref}" in org ${org.slug}`);
        return uid;
      });
      if (!this.users.has(g.userUid)) this.#addUser(this.#newUser(org.slug, g.userUid));
      this.addGrantState({ grantId: g.grantId, clientId: g.clientId, userUid: g.userUid, org, scopes: g.scopes, locationUids: uids, refreshToken: g.refreshToken });
    }
  }

  /** Register a grant and its refresh token. */
  addGrantState(input: { grantId: string; clientId: string; userUid: string; org: OrgState; scopes: readonly string[]; locationUids: string[]; refreshToken: string }): GrantState {
    if (this.grants.has(input.grantId)) throw new InvalidFixtureError(`grant ${input.grantId} already exists`);
    const grant: GrantState = {
      grantId: input.grantId,
      clientId: input.clientId,
      userUid: input.userUid,
      orgSlug: input.org.slug,
      organizationUid: input.org.organizationUid,
      scopes: new Set(input.scopes),
      scope: input.scopes.join(" "),
      locationUids: input.locationUids,
      locationSet: new Set(input.locationUids),
      refreshToken: input.refreshToken,
    };
    this.grants.set(grant.grantId, grant);
    const list = this.grantsByClient.get(grant.clientId) ?? [];
    list.push(grant);
    this.grantsByClient.set(grant.clientId, list);
    this.#tokens.addRefresh(grant.refreshToken, grant.grantId);
    this.#userLocations.set(grant.userUid, ownersOf([...this.userLocations(grant.userUid), ...grant.locationUids]));
    return grant;
  }

  /** A grant for a consent at /oauth/authorize: an app, a user, and the org locations the user reaches. */
  createConsentGrant(clientId: string, userUid: string, org: OrgState, locationUids: string[], scopes: readonly string[]): GrantState {
    const n = ++this.#counter;
    let grantId = `grant-consent-${n}`;
    while (this.grants.has(grantId)) grantId = `grant-consent-${n}-${randomBytes(3).toString("hex")}`;
    return this.addGrantState({ grantId, clientId, userUid, org, scopes, locationUids, refreshToken: newRefreshToken() });
  }

  /** The locations a user belongs to: those of the user's grants (a token reaches its user's locations). */
  userLocations(userUid: string): readonly string[] {
    return this.#userLocations.get(userUid) ?? NO_OWNERS;
  }

  /** A user by uid or email (the `login_hint` of /oauth/authorize). */
  findUser(hint: string): FixtureUser | undefined {
    const byUid = this.users.get(hint);
    if (byUid !== undefined) return byUid;
    const lower = hint.toLowerCase();
    for (const user of this.users.values()) if (user.email.toLowerCase() === lower) return user;
    return undefined;
  }

  /** Create locations (and the org, app and user when needed) and a grant over them. */
  createGrant(input: AddGrantInput): { grant: GrantState; app: FixtureApp } {
    const n = ++this.#counter;
    const slug = input.orgSlug ?? `org-${n}`;
    const org = this.orgs.get(slug) ?? this.#addOrg(slug, randomUUID(), slug);
    const uids: string[] = [];
    if (typeof input.locations === "number") {
      if (!Number.isInteger(input.locations) || input.locations < 0) throw new RangeError("addGrant: locations must be an integer >= 0 or an array of names");
      for (let i = 0; i < input.locations; i++) {
        const name = `${org.businessName} location ${org.locationUids.length + 1}`;
        uids.push(this.#addLocation(org, { uid: randomUUID(), name, phoneNumber: null, podiumPhoneNumber: null, addressDetails: null }).uid);
      }
    } else {
      for (const name of input.locations) {
        uids.push(org.locationByName.get(name) ?? this.#addLocation(org, { uid: randomUUID(), name }).uid);
      }
    }
    let app = input.clientId === undefined ? undefined : this.apps.get(input.clientId);
    if (app === undefined) {
      app = { clientId: input.clientId ?? `sbx-client-g${n}`, clientSecret: `sbx-secret-${randomBytes(12).toString("base64url")}`, name: `app ${n}` };
      this.apps.set(app.clientId, app);
    }
    const userUid = input.userUid ?? randomUUID();
    if (!this.users.has(userUid)) this.#addUser(this.#newUser(org.slug, userUid));
    let grantId = `grant-${n}`;
    while (this.grants.has(grantId)) grantId = `grant-${n}-${randomBytes(3).toString("hex")}`;
    const grant = this.addGrantState({ grantId, clientId: app.clientId, userUid, org, scopes: input.scopes ?? allPodiumScopes, locationUids: uids, refreshToken: newRefreshToken() });
    return { grant, app };
  }

  /** The grant's locations in the shape `addGrant()` returns. */
  grantLocations(grant: GrantState): GrantLocation[] {
    return grant.locationUids.map((uid) => {
      const loc = this.locations.get(uid) as PodiumLocation;
      return { uid, name: loc.name, organizationUid: loc.organizationUid };
    });
  }

  #addOrg(slug: string, organizationUid: string, businessName: string): OrgState {
    if (this.orgs.has(slug)) throw new InvalidFixtureError(`org slug ${slug} appears twice`);
    const org: OrgState = { slug, organizationUid, businessName, createdAt: DEFAULT_CREATED_AT, locationUids: [], locationByName: new Map() };
    this.orgs.set(slug, org);
    this.orgByUid.set(organizationUid, org);
    return org;
  }

  #addLocation(org: OrgState, loc: FixtureLocation): PodiumLocation {
    if (this.locations.has(loc.uid)) throw new InvalidFixtureError(`location uid ${loc.uid} appears twice`);
    const d = loc.addressDetails ?? null;
    const createdAt = loc.createdAt ?? DEFAULT_CREATED_AT;
    const location: PodiumLocation = {
      uid: loc.uid,
      name: loc.name,
      displayName: loc.displayName ?? loc.name,
      organizationUid: org.organizationUid,
      phoneNumber: loc.phoneNumber ?? null,
      podiumPhoneNumber: loc.podiumPhoneNumber ?? null,
      // Deprecated flat form Podium still returns beside addressDetails.
      address: d === null ? null : `${d.houseNumber} ${d.road}, ${d.city} ${d.state} ${d.postalCode}`.trim(),
      addressDetails: d === null ? null : { ...d },
      archived: false,
      archivedAt: null,
      createdAt,
      updatedAt: createdAt,
    };
    this.locations.set(location.uid, location);
    org.locationUids.push(location.uid);
    org.locationByName.set(location.name, location.uid);
    return location;
  }

  #addUser(user: FixtureUser): void {
    this.users.set(user.uid, { ...user });
  }

  #newUser(orgSlug: string, uid: string): FixtureUser {
    return { uid, email: `user-${uid.slice(0, 8)}@${orgSlug}.example`, firstName: "Sandbox", lastName: "User", orgSlug };
  }
}
