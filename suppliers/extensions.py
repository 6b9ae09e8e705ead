"""What other apps add to a firm's profile page.

The contracts app, for one, shows the firm's performance record (the buyers' ratings of its
finished contracts). It registers it in its `AppConfig.ready()`:

    from suppliers import extensions
    extensions.profile_sections.append(extensions.ProfileSection("contracts/_supplier_performance.html", performance_context))

A section is included on the firm's public profile and on its registry record, after the
categories, with the context its function returns for `(request, supplier)`.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ProfileSection:
    template: str
    context: Callable[[Any, Any], dict]


profile_sections: list[ProfileSection] = []


def sections_for(request, supplier) -> list[dict]:
    return [{"template": section.template, "context": section.context(request, supplier)} for section in profile_sections]
