/** Notifications shared by every workflow: email, chat webhooks and SMS, each sent once through the outbox. */
export { createNotifier, smtpUrlOf, type Notifier } from './notifier.js';
export { NotificationError } from './errors.js';
export { recipientLabel, verifySmsAccount, verifySmtp, type SmsSettings } from './senders.js';
export { webhookPayload } from './render.js';
export { createLinks, linkSecret, LinkError, verifyLink, withLinkToken, type LinkClaims } from './links.js';
export * from './types.js';
