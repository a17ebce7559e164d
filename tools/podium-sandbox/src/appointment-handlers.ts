/** Appointments (create only in Podium's API); each belongs to its location. */
import { randomUUID } from "node:crypto";
import type { Reply } from "./http-io.js";
import { bodyObject, dateTime, int, invalid, oneOf, str } from "./request-body.js";
import { recordWrite } from "./resource-access.js";
import { ownersOf, stored, type StoredResource } from "./resource-store.js";
import { isoNow, type SandboxState } from "./sandbox-state.js";
import { dataReply, type V4Request } from "./v4-request.js";

const STATUSES = ["cancelled", "completed", "confirmed", "no_show", "unconfirmed"] as const;
const TYPES = ["in_person", "virtual"] as const;

/** An appointment; `owners` is `[locationUid]`. */
export interface AppointmentRecord extends StoredResource {
  locationUid: string;
  contactName: string;
  contactPhoneNumber: string;
  datetime: string;
  durationMin: number | null;
  note: string | null;
  status: string;
  type: string;
  assignedUserUid: string | null;
}

/** Podium's appointment object. */
export function appointmentJson(a: AppointmentRecord): Record<string, unknown> {
  return {
    uid: a.uid,
    assignedUser: { uid: a.assignedUserUid },
    contactName: a.contactName,
    contactPhoneNumber: a.contactPhoneNumber,
    createdAt: a.createdAt,
    datetime: a.datetime,
    durationMin: a.durationMin,
    location: { uid: a.locationUid },
    note: a.note,
    status: a.status,
    type: a.type,
    updatedAt: a.updatedAt,
  };
}

/** POST /v4/appointments: `contactName`, `contactPhoneNumber`, `datetime`, `locationUid` required. */
export function createAppointment(state: SandboxState, req: V4Request): Reply {
  const b = bodyObject(req.body);
  const contactName = str(b, "contactName", true);
  const contactPhoneNumber = str(b, "contactPhoneNumber", true);
  if (!/^\+[0-9]{6,15}$/.test(contactPhoneNumber)) invalid("contactPhoneNumber must be formatted as +15555555555");
  const datetime = dateTime(b, "datetime", true) as string;
  const locationUid = str(b, "locationUid", true);
  const assignedUserUid = str(b, "assignedUserUid") ?? null;
  if (assignedUserUid !== null && state.model.users.get(assignedUserUid)?.orgSlug !== req.grant.orgSlug) invalid(`assignedUserUid: unknown user ${assignedUserUid}`);
  const now = isoNow(state);
  const a = state.resources.appointments.add({
    ...stored(randomUUID(), req.grant.organizationUid, ownersOf([locationUid]), now),
    locationUid,
    contactName,
    contactPhoneNumber,
    datetime,
    durationMin: int(b, "durationMin", false, 1, 24 * 60) ?? null,
    note: str(b, "note") ?? null,
    status: oneOf(b, "status", STATUSES, false) ?? "unconfirmed",
    type: oneOf(b, "type", TYPES, false) ?? "in_person",
    assignedUserUid,
  });
  recordWrite(state, req, "appointment", a, "create", () => appointmentJson(a));
  return dataReply(state, req, appointmentJson(a));
}
