/**
 * The one rule for an organization grant (issue 10): which organization-level operations a call may run, from the
 * org slugs its caller's API key lists (`server.api_keys[].organizations`, carried as `CallContext.organizations`).
 */

/**
 * In `CallContext.organizations`: every organization, for a key granted `organizations: ["*"]`. It can never be an
 * org slug (ids.ts: slugs are lower-case letters, digits and dashes), so it is never mistaken for one.
 */
export const ALL_ORGANIZATIONS = "*";

/**
 * True when the grant covers the organization `orgSlug`: it lists the slug, or ALL_ORGANIZATIONS. Absent or empty
 * is no grant (deny by default), as is an empty slug.
 */
export function mayActForOrganization(organizations: readonly string[] | undefined, orgSlug: string): boolean {
  if (organizations === undefined || orgSlug === "") return false;
  return organizations.includes(ALL_ORGANIZATIONS) || organizations.includes(orgSlug);
}
