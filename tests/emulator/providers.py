"""The registry of emulated APIs: adding a provider is one module plus one line here."""

from .aria import AriaProvider
from .atlas import AtlasProvider
from .confluent import ConfluentProvider
from .idp import IdentityProvider

PROVIDERS = (
    ConfluentProvider,
    AriaProvider,
    AtlasProvider,
    IdentityProvider,
)
