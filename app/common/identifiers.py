"""The one canonical form of a login identifier: an e-mail address or a registration number.

Every place that decides which account an identifier names goes through `login_key`:
the per-account rate-limit key, every account lookup, and the key columns stored
beside the address and the number (`users.email_key`, `students.registration_key`),
which those lookups match exactly, byte for byte. A database collation's or
`upper()`'s looser idea of equality would let spellings that the limiter counts
apart reach one account, each with a fresh rate-limit bucket.
"""
import unicodedata

from app.errors import ValidationFailed


def login_key(identifier: str) -> str:
    """NFKC folds compatibility forms into the letters they stand for (ſ → s, ﬅ → st,
    fullwidth and mathematical letters), casefold() removes case (ß → ss), then the
    ends are trimmed. Accents are kept: `hárd` and `hard` are different identifiers,
    and a combining accent composes into the same key as the precomposed letter."""
    return unicodedata.normalize("NFKC", identifier).casefold().strip()


def storable_login_key(identifier: str, *, field: str, length: int) -> str:
    """`login_key(identifier)` for a key column of `length` characters, refused on
    `field` when it is blank or would not fit: NFKC can lengthen text (one character
    can become eighteen), and a truncated key would name another account."""
    key = login_key(identifier)
    if not key:
        raise ValidationFailed("One or more fields are invalid", details={field: ["Must not be blank."]})
    if len(key) > length:
        raise ValidationFailed("One or more fields are invalid",
                               details={field: [f"Longer than {length} characters once normalised."]})
    return key
