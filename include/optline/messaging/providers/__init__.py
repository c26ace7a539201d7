"""Message providers behind one interface: a sandbox file, Twilio, and a generic webhook.

``base``     the interface (``Provider``), ``OutgoingMessage``, the outcomes and the once-only
             contract they follow, and the HTTP rules the providers share
``sandbox``  ``SandboxProvider``: records messages in a JSON-lines file, sends nothing
``twilio``   ``TwilioProvider``: Twilio's Messages API through the official SDK
``webhook``  ``WebhookProvider``: a JSON POST per message to any endpoint
``config``   settings from a mapping or an Airflow connection, and ``build_provider``

Importers use the names below from this package, not from the modules.
"""

from optline.messaging.providers.base import (
    LookupOutcome,
    OutgoingMessage,
    Provider,
    SendOutcome,
    parse_retry_after,
)
from optline.messaging.providers.config import (
    build_from_connection,
    build_provider,
    connection_id,
    settings_from_connection,
)
from optline.messaging.providers.sandbox import SandboxProvider, sandbox_message_id
from optline.messaging.providers.twilio import TwilioProvider, TwilioSettings
from optline.messaging.providers.webhook import WebhookProvider, WebhookSettings

__all__ = [
    "LookupOutcome",
    "OutgoingMessage",
    "Provider",
    "SandboxProvider",
    "SendOutcome",
    "TwilioProvider",
    "TwilioSettings",
    "WebhookProvider",
    "WebhookSettings",
    "build_from_connection",
    "build_provider",
    "connection_id",
    "parse_retry_after",
    "sandbox_message_id",
    "settings_from_connection",
]
