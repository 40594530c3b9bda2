import mimetypes
from pathlib import PurePosixPath

from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.utils.cache import add_never_cache_headers

from .access import Action, record_access
from .files import access_to


@login_required
def media_file(request, path: str):
    """Every uploaded file goes through here: the app that stored it says who may open it,
    the opening is logged, and the browser is told not to keep it."""
    name = str(PurePosixPath(path))
    if name.startswith(("/", "..")) or "/../" in f"/{name}/":
        raise Http404
    allowed = access_to(request.user, name)
    if allowed is None or not default_storage.exists(name):
        raise Http404
    record_access(
        request.user,
        Action.FILE,
        [allowed.customer_id],
        request=request,
        detail={"file": name, **(allowed.detail or {})},
    )
    return file_response(name, inline=allowed.inline)


def file_response(name: str, *, inline: bool = True) -> FileResponse:
    """A stored file as the media check serves it (type by name, no sniffing, not kept by
    the browser). For pages whose visitor is not a staff user (the households' /my/ pages),
    which check and log the access themselves before calling it."""
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    response = FileResponse(
        default_storage.open(name, "rb"),
        content_type=content_type,
        as_attachment=not inline,
        filename=PurePosixPath(name).name,
    )
    response["X-Content-Type-Options"] = "nosniff"
    add_never_cache_headers(response)
    return response
