"""Messages at the order: e-mail to the customer from templates (outbox + queue), replies fetched over
IMAP and matched to their orders, automatic e-mails per status. See docs/messages.md."""
