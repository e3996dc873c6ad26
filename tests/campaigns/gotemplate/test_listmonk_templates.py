"""Templates written for listmonk render as listmonk renders them.

Expected outputs follow Go's text/template and html/template semantics
(listmonk compiles bodies and templates with html/template, subjects with
text/template); the sources are the shapes listmonk's docs and default
templates use.
"""

from __future__ import annotations

import pytest

from tests.campaigns.gotemplate.helpers import go

CASES = [
    # --- subscriber and campaign fields (docs/content/templating.md)
    ("{{ .Subscriber.UUID }}", "5f1d-u1"),
    ("{{ .Subscriber.Email }}", "ann@example.com"),
    ("{{ .Subscriber.Name }}", "Ann Marie &lt;b&gt;&amp;"),
    ("{{ .Subscriber.FirstName }}", "Ann"),
    ("{{ .Subscriber.LastName }}", "&lt;b&gt;&amp;"),  # last chunk over 2 bytes
    ("{{ .Subscriber.Status }}", "enabled"),
    ("{{ .Subscriber.Attribs.city }}", "Bengaluru"),
    ("{{ .Subscriber.Attribs.projects }}", "5"),
    # JSON numbers are float64 in Go; html/template escapes "+" everywhere
    ("{{ .Subscriber.Attribs.big }}", "1e&#43;06"),
    ("{{ .Subscriber.Attribs.nested.plan.name }}", "pro"),
    ("{{ .Subscriber.Attribs.tags }}", "[a b]"),
    ("{{ .Subscriber.Attribs.missing }}", ""),  # html/template prints nothing
    ("{{ .Subscriber.Attribs.missing.deeper.still }}", ""),  # so for its fields
    ("{{ with .Subscriber.Attribs.missing.deeper }}x{{ else }}none{{ end }}", "none"),
    ("{{ .Subscriber.Attribs.quote }}", "O&#39;Neil &#34;Q&#34;"),
    ('{{ .Subscriber.CreatedAt.Format "2006-01-02" }}', "2023-01-02"),
    ("{{ .Campaign.UUID }} {{ .Campaign.Name }}", "c-uuid March news"),
    ("{{ .Campaign.Subject }}", "News for March"),
    ("{{ .Campaign.FromEmail }}", "News &lt;news@example.com&gt;"),
    # --- listmonk's functions
    ("{{ UnsubscribeURL }}", "https://x.test/subscription/c-uuid/5f1d-u1"),
    ("{{ UnsubscribeURL . }}", "https://x.test/subscription/c-uuid/5f1d-u1"),
    (
        '<a href="{{ UnsubscribeURL }}?manage=true">m</a>',
        '<a href="https://x.test/subscription/c-uuid/5f1d-u1?manage=true">m</a>',
    ),
    ("{{ ManageURL }}", "https://x.test/subscription/c-uuid/5f1d-u1?manage=true"),
    ("{{ MessageURL }}", "https://x.test/campaign/c-uuid/5f1d-u1"),
    ("{{ OptinURL }}", "https://x.test/subscription/optin/5f1d-u1"),
    (
        "{{ TrackView }}",
        '<img src="https://x.test/campaign/c-uuid/5f1d-u1/px.png" alt="" />',
    ),
    (
        '<a href="{{ TrackLink "https://e.test/?a=1&b=2" }}">G</a>',
        '<a href="https://x.test/link/L1/c-uuid/5f1d-u1?u=https://e.test/?a=1&amp;b=2">G</a>',
    ),
    (
        '<a href="https://google.com@TrackLink">Google</a>',
        '<a href="https://x.test/link/L1/c-uuid/5f1d-u1?u=https://google.com">Google</a>',
    ),
    (
        "Visit https://e.test/a@TrackLink now",
        "Visit https://x.test/link/L1/c-uuid/5f1d-u1?u=https://e.test/a now",
    ),
    ('{{ Date "2006-01-02" }}', "2024-03-05"),
    ('{{ Date "Mon, 02 Jan 2006 15:04:05 MST" }}', "Tue, 05 Mar 2024 14:07:09 UTC"),
    ('{{ Date "January 2, 2006 3:04pm" }}', "March 5, 2024 2:07pm"),
    ('{{ Safe "<!-- keep -->" }}', "<!-- keep -->"),
    ('{{ L.T "email.unsub" }}', "Unsubscribe"),
    ('{{ L.T "email.unsubHelp" }}', "Don&#39;t want to receive these e-mails?"),
    ('{{ L.T "email.optin.confirmSub" }}', "Confirm subscription"),
    ('{{ L.T "email.no.such" }}', "email.no.such"),
    (
        '{{ L.Ts "email.optin.confirmSubWelcome" "name" .Subscriber.FirstName }}',
        "Hi Ann,",
    ),
    # --- control flow (the docs' example campaign body)
    (
        '{{ if eq .Subscriber.Attribs.city "Bengaluru" }}You live in Bangalore!'
        "{{ else }}Where do you live?{{ end }}",
        "You live in Bangalore!",
    ),
    (
        '{{ if eq .Subscriber.Attribs.city "X" }}a{{ else if .Subscriber.Name }}b{{ end }}',
        "b",
    ),
    ("{{ if .Subscriber.Attribs.missing }}a{{ else }}b{{ end }}", "b"),
    ('{{ if eq .Subscriber.Attribs.city "X" "Bengaluru" }}multi{{ end }}', "multi"),
    ("{{ if and .Subscriber.Name (not .Subscriber.Attribs.missing) }}y{{ end }}", "y"),
    ('{{ or .Subscriber.Attribs.missing "fallback" }}', "fallback"),
    ("{{ if gt .Subscriber.Attribs.projects 3 }}many{{ end }}", "many"),
    ('{{ if ne .Subscriber.Status "blocklisted" }}ok{{ end }}', "ok"),
    (
        "{{ range $i, $t := .Subscriber.Attribs.tags }}{{ $i }}:{{ $t }} {{ end }}",
        "0:a 1:b ",
    ),
    ("{{ range .Subscriber.Attribs.none }}x{{ else }}empty{{ end }}", "empty"),
    ("{{ range $k, $v := .Subscriber.Attribs.nested }}{{ $k }}{{ end }}", "plan"),
    ("{{ with .Subscriber.Attribs.nested.plan }}{{ .name }}{{ end }}", "pro"),
    ("{{ with .Subscriber.Attribs.missing }}x{{ else }}none{{ end }}", "none"),
    ('{{ $n := .Subscriber.FirstName }}{{ $n }}-{{ $n = "B" }}{{ $n }}', "Ann-B"),
    (
        "{{ range $i, $t := .Subscriber.Attribs.tags }}{{ if $i }}{{ break }}{{ end }}{{ $t }}{{ end }}",
        "a",
    ),
    ("a  {{- /* a comment */ -}}  b", "ab"),
    ('a {{- " x " -}} b', "a x b"),
    ("{{/* gone */}}x", "x"),
    (
        '{{ define "hi" }}Hi {{ . }}{{ end }}{{ template "hi" .Subscriber.FirstName }}',
        "Hi Ann",
    ),
    ('{{ block "foot" . }}F {{ .Campaign.Name }}{{ end }}', "F March news"),
    # --- builtins
    ('{{ len .Subscriber.Attribs.tags }} {{ len "héllo" }}', "2 6"),  # len counts bytes
    ("{{ index .Subscriber.Attribs.tags 1 }}", "b"),
    ('{{ index .Subscriber.Attribs "city" }}', "Bengaluru"),
    ('{{ printf "%s has %d projects" .Subscriber.FirstName 5 }}', "Ann has 5 projects"),
    (
        '{{ printf "%.2f|%5s|%-3s|%q" 3.14159 "ab" "c" "q" }}',
        "3.14|   ab|c  |&#34;q&#34;",
    ),
    ('{{ print 1 2 "a" 3 }}', "1 2a3"),
    ('{{ println "a" 1 }}', "a 1\n"),
    ('{{ html "<a>" }}', "&lt;a&gt;"),  # html stands in for the escaper: once
    ('{{ "<a>" | html }}', "&lt;a&gt;"),
    ('<a href="/?q={{ urlquery "a b" }}">', '<a href="/?q=a&#43;b">'),
    ('{{ urlquery "a b&c" }}', "a&#43;b%26c"),
    ('{{ js "it\'s" }}', "it\\&#39;s"),
    ('{{ slice "abcdef" 1 3 }}', "bc"),
    (
        "{{ 017 }} {{ 0x1F }} {{ 1_000 }} {{ 2.50 }} {{ 'a' }} {{ true }} {{ -3 }}",
        "15 31 1000 2.5 97 true -3",
    ),
    ("{{ `raw \\n` }}", "raw \\n"),
    ('{{ "tab\\tq" }}', "tab\tq"),
    # --- Sprig
    ('{{ .Subscriber.FirstName | upper }} {{ lower "ABC" }}', "ANN abc"),
    ('{{ title "hello wORLD o\'neil" }}', "Hello WORLD O&#39;Neil"),
    (
        '{{ trim "  x  " }}|{{ trimAll "-" "--x--" }}|{{ trimPrefix "ab" "abc" }}|{{ trimSuffix "c" "abc" }}',
        "x|x|c|ab",
    ),
    ('{{ .Subscriber.Attribs.missing | default "friend" }}', "friend"),
    ('{{ .Subscriber.FirstName | default "friend" }}', "Ann"),
    ('{{ replace "a" "o" "banana" }}', "bonono"),
    ('{{ if contains "gal" .Subscriber.Attribs.city }}y{{ end }}', "y"),
    (
        '{{ if hasPrefix "Ben" .Subscriber.Attribs.city }}y{{ end }}{{ if hasSuffix "uru" .Subscriber.Attribs.city }}z{{ end }}',
        "yz",
    ),
    ('{{ repeat 3 "ab" }}', "ababab"),
    (
        '{{ substr 0 3 "hello" }} {{ trunc 2 "hello" }} {{ trunc -2 "hello" }}',
        "hel he lo",
    ),
    ('{{ nospace "a b  c" }}', "abc"),
    ('{{ quote "a" }} {{ squote "b" }}', "&#34;a&#34; &#39;b&#39;"),
    ('{{ cat "a" 1 "b" }}', "a 1 b"),
    ('{{ join ", " .Subscriber.Attribs.tags }}', "a, b"),
    ('{{ (split "," "x,y")._1 }} {{ index (splitList "," "x,y") 0 }}', "y x"),
    ('{{ toString 5 }}{{ empty "" }}{{ empty .Subscriber.Name }}', "5truefalse"),
    ('{{ coalesce .Subscriber.Attribs.missing "" "c" }}', "c"),
    ('{{ ternary "yes" "no" true }}', "yes"),
    (
        "{{ toJson .Subscriber.Attribs.nested }}",
        "{&#34;plan&#34;:{&#34;name&#34;:&#34;pro&#34;}}",
    ),
    (
        '{{ now | date "2006" }} {{ dateInZone "15:04" now "Asia/Kolkata" }}',
        "2024 19:37",
    ),
    (
        "{{ add 1 2 }} {{ sub 5 2 }} {{ mul 2 3 }} {{ div 7 2 }} {{ mod 7 2 }}",
        "3 3 6 3 1",
    ),
]


@pytest.mark.parametrize(("source", "expected"), CASES)
def test_it_renders_like_listmonk(source, expected):
    assert go(source) == expected


def test_it_renders_subjects_as_text_template():
    subject = "Hi {{ .Subscriber.Name }}, {{ .Subscriber.Attribs.missing }}"
    assert go(subject, html=False) == "Hi Ann Marie <b>&, <no value>"


def test_it_renders_tx_data():
    out = go("Order {{ .Tx.Data.order_id }}: {{ .Tx.Data.total }}", tx_data={
        "order_id": "A-1", "total": 12.5,
    })  # fmt: skip
    assert out == "Order A-1: 12.5"


def test_it_drops_tracking_when_links_say_so():
    from campaigns.rendering import MailLinks

    links = MailLinks(unsubscribe="https://x.test/u")
    src = '{{ TrackView }}<a href="https://e.test/@TrackLink">e</a>'
    assert go(src, links=links) == '<a href="https://e.test/">e</a>'


def test_it_renders_listmonk_default_template_shape():
    source = (
        "<!doctype html>\n<html><body>\n"
        '<div class="wrap">{{ template "content" . }}</div>\n'
        '<div class="footer"><p>{{ L.T "email.unsubHelp" }}\n'
        '<a href="{{ UnsubscribeURL }}" style="color: #888;">{{ L.T "email.unsub" }}</a></p>\n'
        "<!-- the pixel -->\n"
        '</div><div class="gutter">&nbsp;{{ TrackView }}</div>\n</body></html>\n'
    )
    from campaigns.dialects import GoInput
    from campaigns.gotemplate import GoTemplate
    from tests.campaigns.gotemplate.helpers import NOW, context

    data = GoInput(context(), lambda: NOW)
    html = GoTemplate(source, content="<p>Hi {{ .Subscriber.FirstName }}</p>").render(
        data.data, data.env
    )
    assert html == (
        "<!doctype html>\n<html><body>\n"
        '<div class="wrap"><p>Hi Ann</p></div>\n'
        '<div class="footer"><p>Don&#39;t want to receive these e-mails?\n'
        '<a href="https://x.test/subscription/c-uuid/5f1d-u1" style="color: #888;">'
        "Unsubscribe</a></p>\n\n"
        '</div><div class="gutter">&nbsp;<img src="https://x.test/campaign/c-uuid/'
        '5f1d-u1/px.png" alt="" /></div>\n</body></html>\n'
    )


def test_it_renders_listmonk_sample_tx_template_shape():
    source = (
        "<p>Hello {{ .Subscriber.Name }}</p>\n<p>\n"
        "    <strong>Order number: </strong> {{ .Tx.Data.order_id }}<br />\n"
        "    <strong>Shipping date: </strong> {{ .Tx.Data.shipping_date }}<br />\n</p>\n"
        '<p>{{ L.T "public.poweredBy" }} <a href="https://listmonk.app">listmonk</a></p>\n'
        "{{ .Tx.Data.note | Safe }}"
    )
    out = go(source, tx_data={"order_id": 1234, "shipping_date": "2024-03-06",
                              "note": "<i>fragile</i>"})  # fmt: skip
    assert out == (
        "<p>Hello Ann Marie &lt;b&gt;&amp;</p>\n<p>\n"
        "    <strong>Order number: </strong> 1234<br />\n"
        "    <strong>Shipping date: </strong> 2024-03-06<br />\n</p>\n"
        '<p>Powered by <a href="https://listmonk.app">listmonk</a></p>\n'
        "<i>fragile</i>"
    )


@pytest.mark.parametrize(
    ("name", "first", "last"),
    [
        ("Ann Lee", "Ann", "Lee"),
        ("Jo Ann Smith", "Ann", "Smith"),  # chunks of 2 bytes or less are skipped
        ("Al Bo", "Al Bo", "Al Bo"),  # none longer: the whole name
        ("Zoë", "Zoë", "Zoë"),  # 4 bytes in UTF-8
        ("", "", ""),
    ],
)
def test_it_splits_names_like_listmonk(name, first, last):
    from tests.campaigns.gotemplate.helpers import SUB

    sub = {**SUB, "name": name}
    assert go("{{ .Subscriber.FirstName }}|{{ .Subscriber.LastName }}", sub=sub) == (
        f"{first}|{last}"
    )
