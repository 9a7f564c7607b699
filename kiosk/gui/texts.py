"""Every word the kiosk shows a shopper, by name (after pibooth's language.py). A store in another language
edits this file only.

Texts are `str.format` templates: `{seconds}`, `{when}` and `{message}` are filled in where they are shown
(`{message}` is the server's own explanation, in the server's language; a translation may leave it out and
say something of its own instead). Write a literal brace as `{{` or `}}`.
"""
from __future__ import annotations

TEXTS: dict[str, str] = {
    "window.title": "Fitting booth",
    "button.cancel": "Cancel",
    "button.browse": "Browse garments",
    "caption.trying_on": "Trying on",
    # attract screen
    "attract.title": "Virtual fitting room",
    "attract.subtitle": "See yourself in any garment — no changing needed.",
    "attract.start": "Tap to start",
    # catalog
    "catalog.title": "Choose a garment",
    "catalog.title_again": "Choose another garment",
    "catalog.subtitle": "Tap one to try it on.",
    "catalog.subtitle_again": "We'll use the photo you already took.",
    "catalog.more": "Swipe up for more.",
    "catalog.start_over": "Start over",
    "catalog.empty": "No garments in the catalog yet.",
    "catalog.loading": "Loading garments…",
    "catalog.offline": "Showing saved garments: the try-on server is not answering right now.",
    "catalog.failed": "The garment list can't be loaded right now. Trying again in a moment…",
    # live preview and countdown
    "preview.hint": "Stand inside the frame so your shoulders and hips show. Then take the photo.",
    "preview.shoulders": "shoulders",
    "preview.hips": "hips",
    "preview.take": "Take photo",
    "preview.back": "Back to garments",
    "countdown.hold_still": "Get ready… hold still!",
    # the photo is with the server
    "sending.title": "Making your try-on…",
    "sending.elapsed": "{seconds} s — usually a few seconds",
    # result
    "result.caption": "You're wearing",
    "result.before": "Before",
    "result.after": "After",
    "result.show_before": "Show before",
    "result.side_by_side": "Side by side",
    "result.show_after": "Show after",
    "result.another": "Another garment",
    "result.retake": "Retake photo",
    "result.done": "Done",
    # notices that count down and send the photo again by themselves ({when} is their .when or .now)
    "unreachable.title": "We can't reach the try-on server",
    "unreachable.body": "Your photo is safe here. {when}\nYou can keep browsing the garments meanwhile.",
    "unreachable.when": "Trying again in {seconds} s…",
    "unreachable.now": "Trying again now…",
    "busy.title": "The try-on server is busy",
    "busy.body": "Another picture is being made. {when}",
    "busy.when": "Yours starts in {seconds} s…",
    "busy.now": "Sending yours now…",
    "not_ready.title": "The try-on server is not ready",
    "not_ready.body": "Your photo is safe here. {when}\nYou can keep browsing the garments meanwhile.",
    "not_ready.when": "Trying again in {seconds} s…",
    "not_ready.now": "Trying again now…",
    # notices for a request the server refused
    "photo_again.title": "Let's take that photo again",
    "photo_again.body": "{message}",
    "garment_gone.title": "That garment is no longer available",
    "garment_gone.body": "Please choose another one.",
    "failed.title": "That didn't work",
    "failed.body": "{message}",
    "rejected.no_message": "Please try again.",
    "rejected.retake": "Take a new photo",
    "rejected.browse": "Other garments",
    # other notices
    "no_camera.title": "The camera isn't working right now",
    "no_camera.body": "We're reconnecting it, this usually takes a few seconds.\n"
                      "If it keeps happening, please ask a member of staff.",
    "error.title": "Sorry, something went wrong",
    "error.body": "The booth is starting over. Please try again in a moment.",
}

# The server's error codes and the notice shown for each: "photo_again" stands for the texts
# "photo_again.title" and "photo_again.body".
# A request the server refused (4xx); any other code reads "garment_gone" on a 404, else "failed":
REFUSALS: dict[str, str] = {
    "no_person": "photo_again",
    "bad_framing": "photo_again",
    "unknown_garment": "garment_gone",
    "not_found": "garment_gone",
}
# A server that cannot take the photo now (502/503/504); any other code reads "not_ready":
WAITS: dict[str, str] = {
    "busy": "busy",
    "not_ready": "not_ready",
    "backend_unavailable": "not_ready",
    "timeout": "not_ready",
}


def say(name: str, **values: object) -> str:
    """The text called `name`, its `{placeholders}` filled from `values`."""
    return TEXTS[name].format(**values)


def refusal_notice(code: str, status: int) -> str:
    return REFUSALS.get(code) or ("garment_gone" if status == 404 else "failed")


def wait_notice(code: str) -> str:
    return WAITS.get(code, "not_ready")
