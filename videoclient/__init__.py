"""videoclient: an asyncio-first client for the Videos API."""

from ._client.client import AsyncVideoClient, AsyncVideos
from ._client.generate import GeneratedVideo
from ._client.operations import AsyncPager
from ._client.raw import RawResponse
from ._client.transfers import ContentStream
from ._client.waiting import PollOptions, ProgressCallback, StartOptions
from ._sansio.config import ClientConfig, Timeout
from ._sansio.errors import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    ContentIntegrityError,
    InsecureTransportWarning,
    InternalServerError,
    MissingAPIKeyError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RequestLoopError,
    UnprocessableEntityError,
    UnsupportedOperationError,
    VideoClientError,
    VideoExpiredError,
    VideoFailedError,
    WaitTimeoutError,
    WebhookVerificationError,
)
from ._sansio.loops import LoopGuard
from ._sansio.models import (
    PENDING_STATUSES,
    DeletedVideo,
    Video,
    VideoCharacter,
    VideoError,
    VideoPage,
)
from ._sansio.options import RequestOptions
from ._sansio.version import __version__
from ._sync.client import ContentStreamSync, Pager, VideoClient, Videos, VideosWithRawResponse

__all__ = (
    "PENDING_STATUSES",
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncPager",
    "AsyncVideoClient",
    "AsyncVideos",
    "AuthenticationError",
    "BadRequestError",
    "ClientConfig",
    "ConflictError",
    "ContentStream",
    "ContentStreamSync",
    "ContentIntegrityError",
    "DeletedVideo",
    "GeneratedVideo",
    "InsecureTransportWarning",
    "InternalServerError",
    "LoopGuard",
    "MissingAPIKeyError",
    "NotFoundError",
    "Pager",
    "PermissionDeniedError",
    "PollOptions",
    "ProgressCallback",
    "RateLimitError",
    "RawResponse",
    "RequestLoopError",
    "RequestOptions",
    "StartOptions",
    "Timeout",
    "UnprocessableEntityError",
    "UnsupportedOperationError",
    "Video",
    "VideoCharacter",
    "VideoClient",
    "VideoClientError",
    "VideoError",
    "VideoExpiredError",
    "VideoFailedError",
    "VideoPage",
    "Videos",
    "VideosWithRawResponse",
    "WaitTimeoutError",
    "WebhookVerificationError",
    "__version__",
)
