"""The file store for uploads and opened documents: Django's file system storage, except that a
write which fails part-way (a full disk, a quota) leaves no partial file behind and is refused
with `StorageFull`, which pages show beside the form and the API answers as a 507."""

import contextlib
import contextvars
import errno
import logging
import os

from django.core.files.storage import FileSystemStorage
from django.utils.translation import gettext as _

from marketplace.errors import StorageFull

logger = logging.getLogger(__name__)

NO_ROOM = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}

# The names one `_save` tried: Django picks another when a name was taken meanwhile.
_tried: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("tried", default=None)


class MediaStorage(FileSystemStorage):
    def get_available_name(self, name, max_length=None):
        name = super().get_available_name(name, max_length)
        tried = _tried.get()
        if tried is not None:
            tried.append(name)
        return name

    def _save(self, name, content):
        tried = [name] if not os.path.lexists(self.path(name)) else []
        token = _tried.set(tried)
        try:
            return super()._save(name, content)
        except OSError as error:
            # Every name this call created is removed; a taken name was never opened by it.
            for partial in tried:
                with contextlib.suppress(FileNotFoundError, NotADirectoryError):
                    os.remove(self.path(partial))
            if error.errno in NO_ROOM:
                logger.error("no room to store %s: %s", name, error)
                raise StorageFull(_("The file store is full: the file was not kept. Try again later.")) from error
            raise
        finally:
            _tried.reset(token)
