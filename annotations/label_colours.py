"""Label colours as a stylesheet, ``/labels.css``.

The Content-Security-Policy forbids inline styles, so the pages that colour
spans by label link this stylesheet, which sets ``--c`` for each label's
``data-label`` / ``data-label-slug`` elements.
"""

import re

from django.urls import reverse

from .text import sha256_hex

_SAFE_SLUG = re.compile(r"[-a-zA-Z0-9_]+")
_SAFE_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


def stylesheet(labels) -> str:
    """Return the CSS rules giving each of ``labels`` its colour."""
    # Slugs and colours are validated on save; checked again since this is CSS.
    return "".join(
        f'[data-label="{label.slug}"],[data-label-slug="{label.slug}"]'
        f"{{--c:{label.colour}}}\n"
        for label in labels
        if _SAFE_SLUG.fullmatch(label.slug) and _SAFE_COLOUR.fullmatch(label.colour)
    )


def version(labels) -> str:
    """Return a short hash of the stylesheet, which changes with any label."""
    return sha256_hex(stylesheet(labels))[:12]


def stylesheet_url(labels) -> str:
    """Return the stylesheet's URL, named after its content so that a browser
    keeps it until an admin changes a label.
    """
    return f"{reverse('annotations:label_styles')}?v={version(labels)}"
