"""The transport: one authenticated request to EM, the parts put together.

``Transport.request()`` adds the token, lets the retry loop (``_retry``) send it
through a `Sender` (``_sender``: the only code that touches aiohttp, with
the cap of ``_slots`` and the bounded bodies of ``_bodies``), turns a 401 into one
shared re-logon (``_logon``) and any other error answer into its exception
(``_error_map``); a burst of answers goes on within the loop's `TurnBudget`
(``_turns``). ``_sansio`` holds the pure parts: URLs, headers, ``Response``.
The modules are internal; what a caller may use is exported here.
"""

from ._bodies import MAX_TOTAL_BODY_BYTES, BodyBudget
from ._sansio import Response, SslSetting, TransportStats
from ._sender import AiohttpSender, Sender
from ._transport import Transport
from ._turns import TurnBudget, for_loop

__all__ = [
    "MAX_TOTAL_BODY_BYTES",
    "AiohttpSender",
    "BodyBudget",
    "Response",
    "Sender",
    "SslSetting",
    "Transport",
    "TransportStats",
    "TurnBudget",
    "for_loop",
]
