"""E-mail: account settings, SMTP sending and IMAP fetching (standard library smtplib / imaplib)."""
