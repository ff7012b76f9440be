"""The installable web app: its manifest and its service worker, both served from the site root.

The service worker must live at `/sw.js` to control every page (`Service-Worker-Allowed: /`);
its code is the static file `js/sw.js`, to which this view prepends the app shell's URLs as the
pages reference them (hashed names in production) and a version made from their contents, so a
changed asset installs a new worker. Both answers are `no-cache`: the browser revalidates them on
every check for an update.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpResponse, JsonResponse
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.http import require_GET

THEME_COLOUR = "#007a50"  # Pico jade's primary colour, which templates/base.html's pages use
BACKGROUND_COLOUR = "#ffffff"

# What every page needs to draw itself offline: the vendored CSS and htmx, and all of Baseline's
# own CSS, JS and icons (small files; charts are not needed offline).
VENDORED = ["vendor/pico-2.1.1/pico.jade.min.css", "vendor/htmx-2.0.11/htmx.min.js"]
OWN = ["css/*.css", "js/*.js", "icons/*.png"]
WORKER = "js/sw.js"
ICONS = [
    ("icons/icon-192.png", "192x192", "any"),
    ("icons/icon-512.png", "512x512", "any"),
    ("icons/maskable-192.png", "192x192", "maskable"),
    ("icons/maskable-512.png", "512x512", "maskable"),
]


def _shell_files() -> list[tuple[str, Path]]:
    """(static name, file) of the shell, in a stable order; the worker itself is not in it."""
    found = [(name, finders.find(name)) for name in VENDORED]
    for directory in settings.STATICFILES_DIRS:
        root = Path(directory)
        for pattern in OWN:
            for path in sorted(root.glob(pattern)):
                name = path.relative_to(root).as_posix()
                if name != WORKER:
                    found.append((name, path))
    return [(name, Path(path)) for name, path in found if path]


def _shell() -> tuple[list[str], str]:
    """The shell's URLs and a version that changes when any of them or the worker changes."""
    digest = hashlib.sha256(Path(finders.find(WORKER)).read_bytes())
    urls = []
    for name, path in _shell_files():
        urls.append(static(name))
        digest.update(urls[-1].encode())
        digest.update(path.read_bytes())
    return urls, digest.hexdigest()[:16]


@require_GET
def service_worker(request):
    urls, version = _shell()
    code = Path(finders.find(WORKER)).read_text(encoding="utf-8")
    config = {"version": version, "shell": [*urls, reverse("web_manifest")]}
    body = f"self.BASELINE = {json.dumps(config)};\n{code}"
    response = HttpResponse(body, content_type="application/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def web_manifest(request):
    manifest = {
        "name": "Baseline",
        "short_name": "Baseline",
        "description": "Your training for today, logged even without signal.",
        "id": "/today/",
        "start_url": "/today/",
        "scope": "/",
        "display": "standalone",
        "orientation": "portrait",
        "theme_color": THEME_COLOUR,
        "background_color": BACKGROUND_COLOUR,
        "icons": [
            {"src": static(name), "sizes": sizes, "type": "image/png", "purpose": purpose}
            for name, sizes, purpose in ICONS
        ],
    }
    response = JsonResponse(manifest, content_type="application/manifest+json")
    response["Cache-Control"] = "no-cache"
    return response
