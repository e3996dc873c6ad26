"""Benchmark: per-message rendering, listmonk's Go dialect against stmails' Django one.

The same campaign written twice: listmonk's default template shape (a layout
with {{ template "content" . }}, the unsubscribe link, L.T, the pixel) around a
body with the subscriber's name, an attribute condition, a range and two
tracked links; then the identical mail in Django syntax. Each Renderer is
compiled once (as a send does), then render() runs for --messages subscribers;
the figure is the best of --repeat runs, in CPU time. Prints microseconds per
message for both, messages/s and the Go/Django ratio (Django is the floor).

Target (issue 17: "thousands a second"): the Go dialect renders at least 2,000
messages/s in one process, and its outputs are the same mail as Django's
(compared after normalising whitespace). Pure rendering: no database.

    .venv/bin/python bench/bench_render.py [--messages 5000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stmails.settings")
os.environ.setdefault(
    "SECRET_KEY", "bench-only-secret-key-not-for-production-0123456789"
)
os.environ.setdefault(
    "STMAILS_ENCRYPTION_KEY", "YmVuY2gtb25seS1lbmNyeXB0aW9uLWtleS0zMmJ5dGU="
)

import django  # noqa: E402

django.setup()

from harness import emit  # noqa: E402

from campaigns.rendering import MailLinks, Renderer, build_context  # noqa: E402

TARGET_PER_SECOND = 2_000
NOW = datetime(2024, 3, 5, 14, 7, 9, tzinfo=UTC)

GO = {
    "subject": "News for {{ .Subscriber.FirstName }}",
    "template": (
        '<!doctype html><html><body><div class="wrap">{{ template "content" . }}</div>'
        '<div class="footer"><p>Don\'t want these? <a href="{{ UnsubscribeURL }}">'
        'Unsubscribe</a> <a href="{{ MessageURL }}">View in browser</a></p></div>'
        "{{ TrackView }}</body></html>"
    ),
    "body": (
        "<h1>Hi {{ .Subscriber.Name }}</h1>"
        '{{ if eq .Subscriber.Attribs.city "Berlin" }}<p>See you in Berlin!</p>'
        "{{ else }}<p>Where are you?</p>{{ end }}<ul>"
        "{{ range .Subscriber.Attribs.tags }}<li>{{ . }}</li>{{ end }}</ul>"
        '<p><a href="{{ TrackLink "https://e.test/a" }}">A</a> '
        '<a href="https://e.test/b@TrackLink">B</a></p>'
    ),
}
DJANGO = {
    "subject": "News for {{ subscriber.name }}",
    "template": (
        '<!doctype html><html><body><div class="wrap">{{ content }}</div>'
        '<div class="footer"><p>Don\'t want these? <a href="{{ unsubscribe_url }}">'
        'Unsubscribe</a> <a href="{{ message_url }}">View in browser</a></p></div>'
        "{{ track_view }}</body></html>"
    ),
    "body": (
        "<h1>Hi {{ subscriber.name }}</h1>"
        '{% if subscriber.attribs.city == "Berlin" %}<p>See you in Berlin!</p>'
        "{% else %}<p>Where are you?</p>{% endif %}<ul>"
        "{% for t in subscriber.attribs.tags %}<li>{{ t }}</li>{% endfor %}</ul>"
        '<p><a href="https://x.test/link/L/c/u?u=https://e.test/a">A</a> '
        '<a href="https://x.test/link/L/c/u?u=https://e.test/b">B</a></p>'
    ),
}


def contexts(n: int) -> list[dict]:
    links = MailLinks(
        unsubscribe="https://x.test/subscription/c/u", message="https://x.test/campaign/c/u",
        view_pixel="https://x.test/campaign/c/u/px.png",
        track_link=lambda url: "https://x.test/link/L/c/u?u=" + url,
    )  # fmt: skip
    out = []
    for i in range(n):
        sub = {
            "name": f"Subscriber{i} Example", "email": f"s{i}@e.test", "uuid": f"u-{i}",
            "attribs": {"city": "Berlin" if i % 2 else "Paris", "tags": ["a", "b", "c"]},
        }  # fmt: skip
        out.append(build_context(sub, {"uuid": "c", "name": "C"}, links=links))
    return out


def best_cpu(renderer: Renderer, ctxs: list[dict], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        for ctx in ctxs:
            renderer.render(ctx)
        best = min(best, time.process_time() - start)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    ctxs = contexts(args.messages)
    go = Renderer(content_type="html", clock=lambda: NOW, **GO)
    dj = Renderer(content_type="richtext", subject=DJANGO["subject"], body=DJANGO["body"],
                  template_body=DJANGO["template"])  # fmt: skip
    a, b = go.render(ctxs[1]), dj.render(ctxs[1])
    same = re.sub(r"\s+", " ", a.html.replace("&#39;", "'")) == re.sub(
        r"\s+", " ", b.html.replace("&#x27;", "'")
    )
    go_s, dj_s = best_cpu(go, ctxs, args.repeat), best_cpu(dj, ctxs, args.repeat)
    n = args.messages
    print(f"messages: {n}, best of {args.repeat} (CPU time)")
    print(
        f"Go dialect:     {go_s / n * 1e6:8.1f} us/message  {n / go_s:10,.0f} messages/s"
    )
    print(
        f"Django (floor): {dj_s / n * 1e6:8.1f} us/message  {n / dj_s:10,.0f} messages/s"
    )
    print(f"ratio Go/Django: {go_s / dj_s:.2f}")
    print(f"same mail from both: {same}")
    ok = n / go_s >= TARGET_PER_SECOND and same
    print(
        "target met" if ok else f"TARGET MISSED (>= {TARGET_PER_SECOND:,}/s, same mail)"
    )
    emit("render", "Go dialect", round(n / go_s), unit="messages/s",
         target=f">= {TARGET_PER_SECOND:,}, same mail", floor=round(n / dj_s),
         passed=ok, note=f"Go/Django time x{go_s / dj_s:.2f}; same mail: {same}")  # fmt: skip
    if not same:
        print("Go:    ", a.html, "\nDjango:", b.html, sep="\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
