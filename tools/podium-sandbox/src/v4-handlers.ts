/** The handler of every v4 operation, keyed `METHOD template` (the 86 of Podium's OpenAPI files). */
import { createAppointment } from "./appointment-handlers.js";
import { getCall } from "./call-handlers.js";
import { createCampaign, deleteCampaign, getCampaign, listCampaigns, updateCampaign } from "./campaign-handlers.js";
import { listCampaignInteractions, sendCampaignMessage } from "./campaign-message-handlers.js";
import { createContactAttribute, deleteContactAttribute, getContactAttribute, listContactAttributes, setContactAttribute, updateContactAttribute } from "./contact-attribute-handlers.js";
import { assignContactTag, createContactTag, getContactTag, listContactTags, updateContactTag } from "./contact-tag-handlers.js";
import { createContact, deleteContact, getContact, listContacts, optIn, optOut, updateContact } from "./contacts-handlers.js";
import { createNote, getAssignees, getConversation, leadWriteback, listConversations, updateAssignees, updateConversation } from "./conversation-handlers.js";
import { createFeedback, listFeedback } from "./feedback-handlers.js";
import { cancelInvoice, chargeInvoice, createInvoice, getInvoice, listInvoices, refundInvoice, setupInvoice } from "./invoice-handlers.js";
import { getLocation, getOrganization, listLocations, patchLocation } from "./locations-handlers.js";
import { getMessage, importMessage, listMessages, sendAttachment, sendMessage } from "./message-handlers.js";
import { createRefund, getPayment, getReader, getRefund } from "./payment-handlers.js";
import { deleteProductImages, getProduct, listProducts, uploadProductImages } from "./product-handlers.js";
import { createReviewAttribution, createReviewResponse, deleteReviewAttribution, listReviewResponses, updateReviewResponse } from "./review-response-handlers.js";
import { getReview, listReviews, reviewSitesSummary, reviewSummary } from "./review-handlers.js";
import { createReviewInvite, getReviewInvite, listReviewInvites } from "./review-invite-handlers.js";
import { createTemplate, deleteTemplate, listTemplates, updateTemplate } from "./template-handlers.js";
import { getUser, listUsers } from "./user-handlers.js";
import type { V4Handler } from "./v4-request.js";
import { createWebhook, deleteWebhook, getWebhook, listWebhooks, updateWebhook } from "./webhook-handlers.js";

/** `METHOD template` → handler, for every operation in `sandboxRoutes`. */
export const v4Handlers: ReadonlyMap<string, V4Handler> = new Map<string, V4Handler>([
  ["GET /v4/locations", listLocations],
  ["GET /v4/locations/{uid}", getLocation],
  ["PATCH /v4/locations/{uid}", patchLocation],
  ["GET /v4/organizations/{uid}", getOrganization],
  ["GET /v4/users", listUsers],
  ["GET /v4/users/{uid}", getUser],
  ["POST /v4/appointments", createAppointment],
  ["GET /v4/campaign_interactions", listCampaignInteractions],
  ["GET /v4/campaigns", listCampaigns],
  ["POST /v4/campaigns", createCampaign],
  ["DELETE /v4/campaigns/{uid}", deleteCampaign],
  ["GET /v4/campaigns/{uid}", getCampaign],
  ["PUT /v4/campaigns/{uid}", updateCampaign],
  ["POST /v4/campaigns/{uid}/messages", sendCampaignMessage],
  ["GET /v4/contact_attributes", listContactAttributes],
  ["POST /v4/contact_attributes", createContactAttribute],
  ["DELETE /v4/contact_attributes/{uid}", deleteContactAttribute],
  ["GET /v4/contact_attributes/{uid}", getContactAttribute],
  ["PATCH /v4/contact_attributes/{uid}", updateContactAttribute],
  ["GET /v4/contact_tags", listContactTags],
  ["POST /v4/contact_tags", createContactTag],
  ["GET /v4/contact_tags/{uid}", getContactTag],
  ["PATCH /v4/contact_tags/{uid}", updateContactTag],
  ["GET /v4/contacts", listContacts],
  ["POST /v4/contacts", createContact],
  ["POST /v4/contacts/campaigns/opt_in", optIn],
  ["POST /v4/contacts/campaigns/opt_out", optOut],
  ["DELETE /v4/contacts/{identifier}", deleteContact],
  ["GET /v4/contacts/{identifier}", getContact],
  ["PATCH /v4/contacts/{identifier}", updateContact],
  ["DELETE /v4/contacts/{identifier}/attributes/{uid}", setContactAttribute],
  ["PATCH /v4/contacts/{identifier}/attributes/{uid}", setContactAttribute],
  ["POST /v4/contacts/{identifier}/attributes/{uid}", setContactAttribute],
  ["DELETE /v4/contacts/{identifier}/tags/{uid}", assignContactTag],
  ["POST /v4/contacts/{identifier}/tags/{uid}", assignContactTag],
  ["GET /v4/conversations", listConversations],
  ["GET /v4/conversations/{uid}", getConversation],
  ["PUT /v4/conversations/{uid}", updateConversation],
  ["GET /v4/conversations/{uid}/assignees", getAssignees],
  ["PUT /v4/conversations/{uid}/assignees", updateAssignees],
  ["POST /v4/conversations/{uid}/lead_writeback", leadWriteback],
  ["POST /v4/conversations/{uid}/notes", createNote],
  ["GET /v4/feedback", listFeedback],
  ["POST /v4/feedback", createFeedback],
  ["GET /v4/conversations/{conversation_uid}/messages", listMessages],
  ["GET /v4/conversations/{conversation_uid}/messages/{uid}", getMessage],
  ["POST /v4/import/messages", importMessage],
  ["POST /v4/messages", sendMessage],
  ["POST /v4/messages/attachment", sendAttachment],
  ["GET /v4/templates", listTemplates],
  ["POST /v4/templates", createTemplate],
  ["DELETE /v4/templates/{uid}", deleteTemplate],
  ["PUT /v4/templates/{uid}", updateTemplate],
  ["GET /v4/invoices", listInvoices],
  ["POST /v4/invoices", createInvoice],
  ["GET /v4/invoices/{uid}", getInvoice],
  ["POST /v4/invoices/{uid}/cancel", cancelInvoice],
  ["POST /v4/invoices/{uid}/charge", chargeInvoice],
  ["POST /v4/invoices/{uid}/refund", refundInvoice],
  ["POST /v4/invoices/{uid}/setup", setupInvoice],
  ["GET /v4/payments/{uid}", getPayment],
  ["GET /v4/readers/{uid}", getReader],
  ["POST /v4/refunds", createRefund],
  ["GET /v4/refunds/{uid}", getRefund],
  ["GET /v4/calls/{uid}", getCall],
  ["GET /v4/products", listProducts],
  ["GET /v4/products/{uid}", getProduct],
  ["DELETE /v4/products/{uid}/delete_images", deleteProductImages],
  ["POST /v4/products/{uid}/upload_images", uploadProductImages],
  ["GET /v4/reviews", listReviews],
  ["GET /v4/reviews/invites", listReviewInvites],
  ["POST /v4/reviews/invites", createReviewInvite],
  ["GET /v4/reviews/invites/{uid}", getReviewInvite],
  ["GET /v4/reviews/sites/summary", reviewSitesSummary],
  ["GET /v4/reviews/summary", reviewSummary],
  ["PATCH /v4/reviews/{review_uid}/responses/{uid}", updateReviewResponse],
  ["GET /v4/reviews/{uid}", getReview],
  ["DELETE /v4/reviews/{uid}/attributions", deleteReviewAttribution],
  ["POST /v4/reviews/{uid}/attributions", createReviewAttribution],
  ["GET /v4/reviews/{uid}/responses", listReviewResponses],
  ["POST /v4/reviews/{uid}/responses", createReviewResponse],
  ["GET /v4/webhooks", listWebhooks],
  ["POST /v4/webhooks", createWebhook],
  ["DELETE /v4/webhooks/{uid}", deleteWebhook],
  ["GET /v4/webhooks/{uid}", getWebhook],
  ["PUT /v4/webhooks/{uid}", updateWebhook],
]);
