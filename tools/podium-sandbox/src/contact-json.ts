import type { ContactRecord } from "./contact-store.js";
import type { SandboxState } from "./sandbox-state.js";

const emptyAddress = { addressLine1: null, addressLine2: null, city: null, state: null, postalCode: null, country: null };

/** Podium's contact object (podium-api.md §4); tag and attribute labels come from their definitions. */
export function contactJson(state: SandboxState, rec: ContactRecord): Record<string, unknown> {
  const { contactTags, contactAttributes } = state.resources;
  const channel = (type: string, identifier: string): Record<string, unknown> => ({
    type,
    identifier,
    label: null,
    createdAt: rec.createdAt,
    updatedAt: rec.updatedAt,
    marketingOptedInLocationUids: [...(rec.optIns.get(identifier.toLowerCase()) ?? [])],
    transactionalOptedOutAt: null,
  });
  return {
    uid: rec.uid,
    name: rec.name,
    emails: [...rec.emails],
    phoneNumbers: [...rec.phoneNumbers],
    channels: [...rec.phoneNumbers.map((p) => channel("phone", p)), ...rec.emails.map((e) => channel("email", e))],
    locations: rec.owners.map((uid) => ({ uid })),
    organization: { uid: rec.organizationUid },
    conversations: rec.conversationUids.map((uid) => ({ uid })),
    tags: [...rec.tags].map((uid) => {
      const tag = contactTags.get(rec.organizationUid, uid);
      return { uid, label: tag?.label ?? null, description: tag?.description ?? null };
    }),
    attributes: [...rec.attributes].map(([uid, value]) => {
      const def = contactAttributes.get(rec.organizationUid, uid);
      const ownerResource = def === undefined ? null : { type: def.ownerResourceType, uid: rec.organizationUid };
      return { uid, label: def?.label ?? null, dataType: def?.dataType ?? null, value, ownerResource };
    }),
    address: { ...emptyAddress, ...rec.address },
    createdAt: rec.createdAt,
    updatedAt: rec.updatedAt,
  };
}
