"""Mail settings (accounts, templates, automatic e-mails) and the bulk send from the orders list."""
