"""Contact extraction, as the crawler calls it: the rules live in core.contactscan, where the
store's migration 0010 re-extracts stored contacts with them too (the store cannot import
the crawler)."""

from core.contactscan import Contacts, deobfuscate, extract_contacts, merge_contacts

__all__ = ["Contacts", "deobfuscate", "extract_contacts", "merge_contacts"]
