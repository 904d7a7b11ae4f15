"""Recording what a page's browser fetches, at the network layer, through the DevTools
protocol (the way Browsertrix's recorder does, not through HAR, which merges repeated
headers and drops bodies).

The Fetch domain pauses every request twice. At the request stage the host is judged by
the address policy (a private address is refused unless allowed, as for plain HTTP). At the
response stage the status and headers are in, and the body is taken: in one message when
it announces a size up to `BrowserSettings.body_in_memory` (and then left to the page
untouched), else streamed block by block (Fetch.takeResponseBodyAsStream, IO.read) to a
spool on disk and handed back to the page (Fetch.fulfillRequest) when small enough.
Network events add what the pause does not know: the head as the browser received it
(responseReceivedExtraInfo), the remote address and protocol (responseReceived, or a
redirect's requestWillBeSent). The exchange is written to the WARC once those are in, or
when the page is done.

A redirect is an exchange of its own: its response is recorded with an empty body (the
browser never reads a redirect's body). Service workers are bypassed, so every request
goes to the network where it is seen; WebSocket traffic is not recorded, and the page notes
each one.
"""

from __future__ import annotations

import asyncio
import base64
import ipaddress
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from playwright.async_api import CDPSession

from archiver.capture.address_policy import AddressPolicy, blocked_kind
from archiver.capture.browser.exchange import BodySpool, BrowserExchange, head_facts, joined_block
from archiver.capture.browser.http_message import (
    header_lines,
    raw_head_fits,
    request_head,
    response_head,
    warc_protocol,
)
from archiver.capture.browser.provenance import (
    BrowserPeer,
    browser_peer,
    chain_from_reply,
    peer_origin,
    security_key,
)
from archiver.errors import CaptureError
from archiver.settings import BrowserSettings, CaptureSettings

_log = logging.getLogger(__name__)
_log.addHandler(logging.NullHandler())

STREAM_BLOCK = 512 * 1024
"""Bytes asked for in one IO.read of a streamed body."""
ESSENTIAL = frozenset({"Document", "Stylesheet", "Script", "XHR", "Fetch", "Manifest"})
"""Resource types a page cannot render without: of unknown size, they are still taken in
one message (and so handed to the page unchanged); other bodies of unknown size stream."""

STREAMED_TYPES = frozenset({"application/pdf"})
"""Documents that always take the streaming path, whatever their size: a PDF is read by
archiver's own extractor from the record, never by the page."""

Written = Callable[[BrowserExchange], None]
"""Told of each exchange when it is complete; writes its records (and closes it)."""
PeerSink = Callable[[BrowserPeer, str], None]
"""Told of the server facts Chromium reported for a response, and the id of that
response's record; writes the origin's provenance record when the facts are new."""
ChainCache = dict[tuple[Any, ...], tuple[bytes, ...]]
"""Each origin's certificate chain, by the origin and what its responses said of the
session (security_key): asked of the browser once each."""


@dataclass
class Failure:
    """A request that got no response: refused by the address policy, or failed by the
    network (its reason as the browser names it)."""

    url: str
    reason: str
    started_at: datetime


@dataclass
class _Sent:
    """What is known of a request before its response."""

    started_at: datetime
    headers: dict[str, str] | None = None
    """As sent on the wire (requestWillBeSentExtraInfo), Cookie included."""
    headers_text: str | None = None
    """The response head as received, for HTTP/1.x (responseReceivedExtraInfo)."""


@dataclass
class NetworkRecorder:
    """Records one page's exchanges; `settle()` writes what is still waiting."""

    cdp: CDPSession
    settings: CaptureSettings
    write: Written
    failures: list[Failure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """Page-level facts: a WebSocket not recorded, a body not handed back."""
    _sent: dict[str, _Sent] = field(default_factory=dict)
    _waiting: dict[str, BrowserExchange] = field(default_factory=dict)
    """Exchanges whose response was taken, waiting for their address and protocol."""
    _in_flight: dict[str, str] = field(default_factory=dict)
    """Requests under way: the browser's id, and the URL."""
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _policy: AddressPolicy = field(init=False)
    _hosts: dict[str, str | None] = field(default_factory=dict)
    """Each host's verdict: None allowed, else why it was refused."""
    on_peer: PeerSink | None = None
    browser: str = "Chromium"
    """The browser's product and version, for the provenance records."""
    chains: ChainCache = field(default_factory=dict)
    _lookups: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = field(default_factory=dict)
    """Each allowed host's address-policy lookup: every address, and those refused."""
    veto: Callable[[dict[str, Any]], str | None] | None = None
    """Told of each paused request before it leaves; a request it names a reason for is
    aborted, as if the page had cancelled it (no error page, nothing recorded)."""
    rebound: list[str] = field(default_factory=list)
    """URLs whose answer came from an address the policy refuses (not recorded)."""
    ranged: dict[str, None] = field(default_factory=dict)
    """URLs answered with a part (206) and never whole (200), in the order first seen."""
    _whole: set[str] = field(default_factory=set)
    last_activity: float = field(default_factory=time.monotonic)
    events: int = 0
    """Network events seen so far: unchanged means nothing happened on the network."""

    def __post_init__(self) -> None:
        self._policy = AddressPolicy.from_settings(self.settings)
        self._body_limit = (self.settings.browser or BrowserSettings()).body_in_memory

    async def start(self) -> None:
        on = self.cdp.on
        on("Fetch.requestPaused", self._spawn(self._paused))
        on("Network.requestWillBeSent", self._request_sent)
        on("Network.requestWillBeSentExtraInfo", self._request_extra)
        on("Network.responseReceivedExtraInfo", self._response_extra)
        on("Network.responseReceived", self._response_received)
        on("Network.loadingFinished", self._loading_done)
        on("Network.loadingFailed", self._loading_done)
        on("Network.webSocketCreated", self._websocket)
        await self.cdp.send("Network.enable")
        await self.cdp.send("Network.setBypassServiceWorker", {"bypass": True})
        await self.cdp.send("Fetch.enable", {"patterns": [
            {"urlPattern": "*", "requestStage": "Request"},
            {"urlPattern": "*", "requestStage": "Response"}]})

    @property
    def in_flight(self) -> int:
        """Requests under way (sent, and not finished or failed) or being recorded."""
        return len(self._in_flight) + len(self._tasks)

    def in_flight_urls(self) -> list[str]:
        return sorted(set(self._in_flight.values()))

    async def settle(self) -> None:
        """Let the pauses being handled finish, then write every exchange still waiting."""
        deadline = time.monotonic() + 30
        while self._tasks and (left := deadline - time.monotonic()) > 0:
            await asyncio.wait(set(self._tasks), timeout=left)  # new ones may start meanwhile
        for network_id in list(self._waiting):
            self._finish(network_id, None)

    # -- events ---------------------------------------------------------------------------

    def _spawn(self, handler: Callable[[dict[str, Any]], Any]) -> Callable[[dict[str, Any]], None]:
        def run(event: dict[str, Any]) -> None:
            task = asyncio.ensure_future(self._guarded(handler, event))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return run

    async def _guarded(self, handler: Callable[[dict[str, Any]], Any],
                       event: dict[str, Any]) -> None:
        try:
            await handler(event)
        except CaptureError:
            raise
        except Exception as error:  # the page went away meanwhile, or a bug: log it
            if _is_gone(error):
                _log.debug("gone: %s", error)
                return
            _log.error("recording %s failed unexpectedly",
                       event.get("request", {}).get("url"), exc_info=error)

    def touch(self) -> None:
        """Count from now: the network is idle only `quiet_period` after this (a scroll may
        set off requests a moment later)."""
        self.last_activity = time.monotonic()

    def _seen(self) -> None:
        self.events += 1
        self.touch()

    def _request_sent(self, event: dict[str, Any]) -> None:
        self._seen()
        request_id = event["requestId"]
        redirect = event.get("redirectResponse")
        if redirect is not None:
            self._finish(request_id, redirect)
        self._in_flight[request_id] = event.get("request", {}).get("url", "")

    def _request_extra(self, event: dict[str, Any]) -> None:
        sent = self._sent.get(event["requestId"])
        if sent is not None:
            sent.headers = dict(event.get("headers") or {})

    def _response_extra(self, event: dict[str, Any]) -> None:
        sent = self._sent.get(event["requestId"])
        if sent is not None:
            sent.headers_text = event.get("headersText")

    def _response_received(self, event: dict[str, Any]) -> None:
        self._seen()
        self._finish(event["requestId"], event.get("response"))

    def _loading_done(self, event: dict[str, Any]) -> None:
        self._seen()
        request_id = event["requestId"]
        self._in_flight.pop(request_id, None)
        if request_id in self._waiting:
            self._finish(request_id, None)

    def _websocket(self, event: dict[str, Any]) -> None:
        self.notes.append(f"the page opened a WebSocket to {event.get('url')}: WebSocket "
                          "messages are not recorded")

    # -- the two pauses -------------------------------------------------------------------

    async def _paused(self, event: dict[str, Any]) -> None:
        self._seen()
        if "responseStatusCode" in event or "responseErrorReason" in event:
            await self._response_paused(event)
        else:
            await self._request_paused(event)

    async def _request_paused(self, event: dict[str, Any]) -> None:
        request_id, url = event["requestId"], event["request"]["url"]
        network_id = event.get("networkId") or request_id
        started = datetime.now(UTC)
        if self.veto is not None and self.veto(event) is not None:
            # "Aborted" (net::ERR_ABORTED) leaves the page as it stands: a navigation that
            # failed otherwise would replace it with the browser's error page.
            await self.cdp.send("Fetch.failRequest", {"requestId": request_id,
                                                      "errorReason": "Aborted"})
            return
        self._sent[network_id] = _Sent(started)
        refusal = await self._refusal(url)
        if refusal is not None:
            self.failures.append(Failure(url, refusal, started))
            await self.cdp.send("Fetch.failRequest", {"requestId": request_id,
                                                      "errorReason": "AddressUnreachable"})
            return
        await self.cdp.send("Fetch.continueRequest", {"requestId": request_id})

    async def _refusal(self, url: str) -> str | None:
        """Why the address policy refuses `url`'s host (None: allowed); asked once a host."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or self.settings.allow_private:
            return None
        host = parts.hostname or ""
        if host not in self._hosts:
            port = parts.port or (443 if parts.scheme == "https" else 80)
            try:
                found = await asyncio.to_thread(self._policy.lookup, url, host, port)
                self._hosts[host] = None
                allowed = {str(entry[4][0]) for entry in found.candidates}
                self._lookups[host] = (found.answers, tuple(
                    address for address in found.answers if address not in allowed))
            except CaptureError as error:
                self._hosts[host] = error.reason
        return self._hosts[host]

    async def _response_paused(self, event: dict[str, Any]) -> None:
        request_id = event["requestId"]
        network_id = event.get("networkId") or request_id
        error = event.get("responseErrorReason")
        if error:  # no response: the network failed it (the browser may try again)
            sent = self._sent.pop(network_id, None)
            self.failures.append(Failure(event["request"]["url"], f"the browser's request "
                                         f"failed ({error})", sent.started_at if sent else
                                         datetime.now(UTC)))
            await self.cdp.send("Fetch.continueRequest", {"requestId": request_id})
            return
        sent = self._sent.pop(network_id, None) or _Sent(datetime.now(UTC))
        status = int(event["responseStatusCode"])
        headers = [(h["name"], h["value"]) for h in event.get("responseHeaders") or []]
        body = BodySpool(self.settings.max_resource_bytes)
        handed_back = True
        try:
            if _is_redirect(status, headers):
                await self.cdp.send("Fetch.continueResponse", {"requestId": request_id})
            elif self._in_one_message(headers, event.get("resourceType", "")):
                await self._take_whole(request_id, body)
                await self.cdp.send("Fetch.continueResponse", {"requestId": request_id})
            else:
                await self._take_stream(request_id, body)
                handed_back = await self._hand_back(event, status, headers, body)
        except BaseException:
            body.close()
            raise
        # Its body is all taken: no longer under way, whether or not loadingFinished comes
        # to this session (it does not for a dedicated worker's own script).
        self._in_flight.pop(network_id, None)
        exchange = self._exchange(event, sent, status, headers, body)
        if status == 206 and exchange.url not in self._whole:
            self.ranged[exchange.url] = None
        elif status == 200:
            self._whole.add(exchange.url)
            self.ranged.pop(exchange.url, None)
        if not handed_back:
            exchange.notes.append(
                f"the body ({exchange.payload_length} bytes) is recorded whole, but was too "
                "large to hand back to the page, which rendered without it")
        self._waiting[network_id] = exchange

    def _in_one_message(self, headers: list[tuple[str, str]], resource_type: str) -> bool:
        if _media_type(headers) in STREAMED_TYPES:
            return False
        announced = _content_length(headers)
        if announced is None:
            return resource_type in ESSENTIAL
        return announced <= self._body_limit

    async def _take_whole(self, request_id: str, body: BodySpool) -> None:
        reply = await self.cdp.send("Fetch.getResponseBody", {"requestId": request_id})
        body.feed(_decoded(reply["body"], reply.get("base64Encoded", False)))

    async def _take_stream(self, request_id: str, body: BodySpool) -> None:
        reply = await self.cdp.send("Fetch.takeResponseBodyAsStream", {"requestId": request_id})
        handle = reply["stream"]
        try:
            while True:
                self.touch()
                chunk = await self.cdp.send("IO.read", {"handle": handle, "size": STREAM_BLOCK})
                data = _decoded(chunk.get("data", ""), chunk.get("base64Encoded", False))
                if not body.feed(data) or chunk.get("eof"):
                    break
        finally:
            await self.cdp.send("IO.close", {"handle": handle})

    async def _hand_back(self, event: dict[str, Any], status: int,
                         headers: list[tuple[str, str]], body: BodySpool) -> bool:
        """Give a streamed body back to the page (it was taken from the browser); whether
        it was small enough to (else the page gets an empty body)."""
        fits = body.length <= self._body_limit
        payload = base64.b64encode(body.read_all()).decode("ascii") if fits else ""
        kept = [{"name": name, "value": value} for name, value in header_lines(headers)
                if name.lower() not in ("content-encoding", "transfer-encoding",
                                        "content-length")]
        await self.cdp.send("Fetch.fulfillRequest", {
            "requestId": event["requestId"], "responseCode": status,
            "responsePhrase": event.get("responseStatusText") or "",
            "responseHeaders": kept, "body": payload})
        return fits

    def _exchange(self, event: dict[str, Any], sent: _Sent, status: int,
                  headers: list[tuple[str, str]], body: BodySpool) -> BrowserExchange:
        request = event["request"]
        url = request["url"] + (request.get("urlFragment") or "")
        wire_headers = sent.headers if sent.headers is not None else request.get("headers", {})
        request_block = request_head(request.get("method", "GET"), request["url"], wire_headers)
        post = request.get("postData")
        if isinstance(post, str):
            request_block += post.encode("utf-8")
        if raw_head_fits(sent.headers_text, None, headers, body.length) and sent.headers_text:
            head = sent.headers_text.encode("latin-1", "replace")
        else:
            head = response_head(status, event.get("responseStatusText") or "", headers,
                                 body.length)
        payload_sha256, payload_length, truncated = (body.sha256.hexdigest(), body.length,
                                                     body.truncated)
        block, length, block_sha256 = joined_block(head, body)
        return BrowserExchange(
            url=url.split("#", 1)[0], started_at=sent.started_at, request_block=request_block,
            response_block=block, response_length=length, block_sha256=block_sha256,
            payload_sha256=payload_sha256, payload_length=payload_length,
            recorded=head_facts(head), resource_type=event.get("resourceType", ""),
            truncated=truncated, network_id=event.get("networkId") or event["requestId"],
            frame_id=event.get("frameId"))

    def _finish(self, network_id: str, response: dict[str, Any] | None) -> None:
        """Write the exchange waiting under `network_id`, with what `response` (a Network
        Response) says of its address and protocol."""
        exchange = self._waiting.pop(network_id, None)
        if exchange is None:
            return
        refused = rebound(self._policy, exchange.url, response)
        if refused is not None:
            # Archiver judged the name before the request left; Chromium resolved it again
            # itself and connected elsewhere (DNS rebinding): the answer is not kept.
            exchange.close()
            self.failures.append(Failure(exchange.url, refused, exchange.started_at))
            self.rebound.append(exchange.url)
            return
        if response is not None:
            exchange.ip_address = response.get("remoteIPAddress") or None
            security = (response.get("securityDetails") or {}).get("protocol")
            exchange.protocol = warc_protocol(response.get("protocol"), security)
        url, response_id, started_at = exchange.url, exchange.response_id, exchange.started_at
        self.write(exchange)
        if response is not None and self.on_peer is not None:
            self._spawn(self._peer)({"url": url, "response": response,
                                     "response_id": response_id, "started_at": started_at})

    async def _peer(self, event: dict[str, Any]) -> None:
        """Tell `on_peer` the facts of the server a written response came from, with the
        chain Chromium holds for its origin (asked once per origin and session)."""
        url, response = event["url"], event["response"]
        origin = peer_origin(url)
        if origin is None or self.on_peer is None:
            return
        chain: tuple[bytes, ...] = ()
        if origin.scheme == "https" and response.get("securityDetails"):
            key = (origin, security_key(response))
            chain = self.chains.get(key) or await self._chain(url)
            if chain:  # none given (the page went away): asked again next time
                self.chains[key] = chain
        peer = browser_peer(url, response, lookup=self._lookups.get(origin.host),
                            validated=self.settings.verify_tls, browser=self.browser,
                            connected_at=event["started_at"], chain=chain,
                            ca_file=str(self.settings.ca_file) if self.settings.ca_file
                            else None)
        if peer is not None:
            self.on_peer(peer, event["response_id"])

    async def _chain(self, url: str) -> tuple[bytes, ...]:
        """The chain Chromium holds for `url`'s origin (Network.getCertificate), DER, the
        server's own first; empty when it has none to give."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}"
        try:
            reply = await self.cdp.send("Network.getCertificate", {"origin": origin})
        except Exception as error:  # the page went away, or the browser has no chain
            _log.debug("no certificate for %s: %s", url, error)
            return ()
        return chain_from_reply(reply)


def rebound(policy: AddressPolicy, url: str, response: dict[str, Any] | None) -> str | None:
    """Why the answer to `url` must not be kept (None: it may): the address Chromium says it
    connected to (`remoteIPAddress`) is one the policy refuses, though the name passed the
    check made before the request left. Nothing to judge without an address (an answer
    from the browser's cache) or under --allow-private.

    >>> policy = AddressPolicy()
    >>> rebound(policy, "http://news.example/", {"remoteIPAddress": "10.0.0.7"})[:46]
    'refused: the browser connected to 10.0.0.7 for'
    >>> rebound(policy, "http://news.example/", {"remoteIPAddress": "93.184.215.14"}) is None
    True
    """
    if response is None or policy.allow_private:
        return None
    address = response.get("remoteIPAddress")
    if not isinstance(address, str) or not address:
        return None
    address = address.strip("[]")
    if policy.is_allowed(address):
        return None
    host = urlsplit(url).hostname or url
    try:
        kind = blocked_kind(ipaddress.ip_address(address)) or "an address not allowed"
    except ValueError:
        kind = "not an address"
    return (f"refused: the browser connected to {address} for {host}, {kind}, "
            "though the name passed the address check just before (the name answered "
            "differently the second time: DNS rebinding?); not recorded")


def _is_redirect(status: int, headers: list[tuple[str, str]]) -> bool:
    return 300 <= status < 400 and any(name.lower() == "location" for name, _ in headers)


def _media_type(headers: list[tuple[str, str]]) -> str | None:
    for name, value in headers:
        if name.lower() == "content-type":
            return value.split(";", 1)[0].strip().lower()
    return None


def _content_length(headers: list[tuple[str, str]]) -> int | None:
    for name, value in headers:
        if name.lower() == "content-length":
            try:
                return int(value.strip())
            except ValueError:
                return None
    return None


def _decoded(data: str, is_base64: bool) -> bytes:
    return base64.b64decode(data) if is_base64 else data.encode("utf-8")


def _is_gone(error: Exception) -> bool:
    """The page, its request or the browser went away while we were talking to it."""
    text = str(error)
    return any(marker in text for marker in ("Target page, context or browser has been closed",
                                             "Invalid InterceptionId", "No resource with given",
                                             "Session closed", "Target closed",
                                             "Invalid state for continueInterceptedRequest"))
