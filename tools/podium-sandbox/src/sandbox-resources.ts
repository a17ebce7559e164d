import type { AppointmentRecord } from "./appointment-handlers.js";
import type { CallRecord } from "./call-handlers.js";
import type { CampaignRecord } from "./campaign-handlers.js";
import type { CampaignInteractionRecord } from "./campaign-message-handlers.js";
import type { ContactAttributeRecord } from "./contact-attribute-handlers.js";
import type { ContactTagRecord } from "./contact-tag-handlers.js";
import { ConversationStore } from "./conversation-store.js";
import type { FeedbackRecord } from "./feedback-handlers.js";
import type { InvoiceRecord, PaymentRecord } from "./invoice-store.js";
import type { ReaderRecord, RefundRecord } from "./payment-handlers.js";
import type { ProductRecord } from "./product-handlers.js";
import { ResourceStore } from "./resource-store.js";
import type { ReviewInviteRecord } from "./review-invite-handlers.js";
import type { ReviewRecord } from "./review-handlers.js";
import type { TemplateRecord } from "./template-handlers.js";
import type { WebhookRecord } from "./webhook-handlers.js";

/**
 * One store per resource kind besides contacts (`SandboxState.contacts`). Parts of a resource live inside it:
 * messages and notes in their conversation, responses and attributions in their review.
 */
export interface SandboxResources {
  contactTags: ResourceStore<ContactTagRecord>;
  contactAttributes: ResourceStore<ContactAttributeRecord>;
  conversations: ConversationStore;
  reviews: ResourceStore<ReviewRecord>;
  reviewInvites: ResourceStore<ReviewInviteRecord>;
  invoices: ResourceStore<InvoiceRecord>;
  payments: ResourceStore<PaymentRecord>;
  refunds: ResourceStore<RefundRecord>;
  readers: ResourceStore<ReaderRecord>;
  calls: ResourceStore<CallRecord>;
  campaigns: ResourceStore<CampaignRecord>;
  campaignInteractions: ResourceStore<CampaignInteractionRecord>;
  templates: ResourceStore<TemplateRecord>;
  webhooks: ResourceStore<WebhookRecord>;
  products: ResourceStore<ProductRecord>;
  appointments: ResourceStore<AppointmentRecord>;
  feedback: ResourceStore<FeedbackRecord>;
}

/** Empty stores. */
export function createResources(): SandboxResources {
  return {
    contactTags: new ResourceStore(),
    contactAttributes: new ResourceStore(),
    conversations: new ConversationStore(),
    reviews: new ResourceStore(),
    reviewInvites: new ResourceStore(),
    invoices: new ResourceStore(),
    payments: new ResourceStore(),
    refunds: new ResourceStore(),
    readers: new ResourceStore(),
    calls: new ResourceStore(),
    campaigns: new ResourceStore(),
    campaignInteractions: new ResourceStore(),
    templates: new ResourceStore(),
    webhooks: new ResourceStore(),
    products: new ResourceStore(),
    appointments: new ResourceStore(),
    feedback: new ResourceStore(),
  };
}
