"""videoclient: an asyncio-first client for the Videos API."""

from ._async_client import AsyncVideoClient, AsyncVideos
from ._config import ClientConfig, Timeout
from ._errors import (
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
    UnprocessableEntityError,
    VideoClientError,
    VideoExpiredError,
    VideoFailedError,
    WaitTimeoutError,
    WebhookVerificationError,
)
from ._generate import GeneratedVideo
from ._models import PENDING_STATUSES, DeletedVideo, Video, VideoCharacter, VideoError, VideoPage
from ._options import RequestOptions
from ._raw import RawResponse
from ._sync_client import ContentStreamSync, Pager, VideoClient, Videos, VideosWithRawResponse
from ._transfers import ContentStream
from ._videos import AsyncPager
from ._waiting import PollOptions, ProgressCallback, StartOptions

__version__ = "0.1.0"

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
    "MissingAPIKeyError",
    "NotFoundError",
    "Pager",
    "PermissionDeniedError",
    "PollOptions",
    "ProgressCallback",
    "RateLimitError",
    "RawResponse",
    "RequestOptions",
    "StartOptions",
    "Timeout",
    "UnprocessableEntityError",
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
