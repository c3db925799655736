"""The Amazon inbox: buyer messages in through the marketplace's e-mail relay (IMAP or .eml
files), approved replies out by SMTP, exactly once.

Framework-free and settings-free: the composition root (``bot.services``) turns settings
into a :class:`~bot.mail.channel.MailChannelConfig`.
"""
